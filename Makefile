# The two commands of README.md: `make run` and `make test`. Both install what is missing,
# start a private PostgreSQL and Redis under .local/, and build.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

RUN_PG_PORT ?= 54329
RUN_REDIS_PORT ?= 63790
TEST_PG_PORT ?= 54339
TEST_REDIS_PORT ?= 63799
RUN_OIDC_PORT ?= 9400
TEST_OIDC_PORT ?= 9439
TEST_S3_PORT ?= 9539
export CARGO_TERM_COLOR ?= never

.PHONY: run stop test deps build lint

deps:
	scripts/deps.sh

build: deps
	cargo build --bin plenum

# Sets up and serves Plenum with a demo municipality at http://127.0.0.1:8080/t/demo/
run: build
	eval "$$(scripts/services.sh start run $(RUN_PG_PORT) $(RUN_REDIS_PORT))"
	eval "$$(scripts/oidc.sh start run-oidc $(RUN_OIDC_PORT))"
	export PLENUM_DATABASE__URL=$$DATABASE_URL PLENUM_REDIS__URL=$$REDIS_URL
	export PLENUM_GATEWAY__GRAPHIQL=true
	export PLENUM_DOCUMENTS__ROOT=$$PWD/.local/run-data/files PLENUM_DOCUMENTS__WORK_DIR=$$PWD/.local/run-data/work
	export PLENUM_SEARCH__DIR=$$PWD/.local/run-data/search
	# Development only: local GraphQL callers act as the operator (they can write).
	export PLENUM_GATEWAY__PLATFORM_ADMIN_API=true
	target/debug/plenum migrate
	target/debug/plenum demo --tenant demo --scale small
	# Sign-in through the local OpenID provider (deploy/oidc-provider, users in its README).
	printf plenum-dev-secret > .local/run-oidc/client.secret
	target/debug/plenum tenant set demo auth.oidc \
	  "{\"issuer\":\"$$OIDC_URL/realms/shared\",\"client_id\":\"plenum\",\"organization\":\"demo\",\"client_secret_file\":\"$$PWD/.local/run-oidc/client.secret\"}" >/dev/null
	echo "Plenum: http://127.0.0.1:8080/t/demo/  (GraphQL: http://127.0.0.1:8080/t/demo/graphql)"
	exec target/debug/plenum run

stop:
	scripts/services.sh stop run
	scripts/services.sh stop test
	scripts/oidc.sh stop run-oidc
	scripts/oidc.sh stop test-oidc
	scripts/s3.sh stop test-s3

# The whole test suite against a fresh private PostgreSQL and Redis.
test: deps
	eval "$$(scripts/services.sh start test $(TEST_PG_PORT) $(TEST_REDIS_PORT) fresh)"
	eval "$$(scripts/oidc.sh start test-oidc $(TEST_OIDC_PORT))"
	eval "$$(scripts/s3.sh start test-s3 $(TEST_S3_PORT))"
	trap 'scripts/services.sh stop test; scripts/oidc.sh stop test-oidc; scripts/s3.sh stop test-s3' EXIT
	export PLENUM_TEST_DATABASE_URL=$$DATABASE_URL PLENUM_TEST_REDIS_URL=$$REDIS_URL
	export PLENUM_TEST_OIDC_URL=$$OIDC_URL PLENUM_TEST_S3_URL=$$S3_URL
	eval "$$(scripts/browser.sh)"
	eval "$$(scripts/pytools.sh)"
	export PLENUM_TEST_CHROMIUM PLENUM_TEST_PYTHON
	cargo build --bin plenum
	if cargo nextest --version >/dev/null 2>&1; then
	  cargo nextest run --workspace --no-fail-fast
	else
	  cargo test --workspace --no-fail-fast
	fi

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
