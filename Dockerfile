# syntax=docker/dockerfile:1
# Plenum: one image for every role (`plenum run --service <role>`) and the operator commands.
# Build:  docker build -t plenum .
# The build steps are those of `make build` (scripts/deps.sh's build packages, mold, cargo),
# in release mode.

FROM rust:1.95.0-slim-bookworm AS build
# mold: the linker .cargo/config.toml names; libssl-dev/pkg-config: TLS through the system
# OpenSSL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends mold=1.10.* libssl-dev=3.0.* pkg-config=1.8.* \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin plenum \
 && cp target/release/plenum /usr/local/bin/plenum

FROM debian:bookworm-slim AS run
# ca-certificates: TLS to OIDC providers, S3 and Meilisearch; libssl3: the linked OpenSSL;
# poppler-utils: pdftotext for text extraction; fonts-dejavu-core: a fallback font for
# generated PDFs; tini: signals and zombies of pdftotext children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=2025* libssl3=3.0.* \
      poppler-utils=22.12.* fonts-dejavu-core=2.37-* tini=0.19.* \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 plenum \
 && useradd --uid 10001 --gid plenum --no-create-home --shell /usr/sbin/nologin plenum \
 && mkdir -p /data/files /data/search /tmp/plenum-work \
 && chown -R plenum:plenum /data /tmp/plenum-work
COPY --from=build /usr/local/bin/plenum /usr/local/bin/plenum
COPY config/plenum.example.toml /etc/plenum/plenum.example.toml
USER 10001:10001
ENV PLENUM_SERVER__LISTEN=0.0.0.0:8080 \
    PLENUM_DOCUMENTS__ROOT=/data/files \
    PLENUM_DOCUMENTS__WORK_DIR=/tmp/plenum-work \
    PLENUM_SEARCH__DIR=/data/search \
    PLENUM_TELEMETRY__LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK NONE
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/plenum"]
CMD ["run"]
