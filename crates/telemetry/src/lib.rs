//! Logs, traces and metrics for every Plenum process.
//!
//! `tracing` everywhere; human-readable or JSON log lines; OpenTelemetry traces over OTLP/HTTP
//! when an endpoint is configured (through tracing-opentelemetry, not async-graphql's own otel
//! feature, which pins an old OpenTelemetry); Prometheus metrics from the `metrics` facade.

mod http;

pub use http::{record_http_metrics, request_span};

use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use plenum_config::{LogFormat, TelemetrySettings};
use std::sync::OnceLock;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes it.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes pending spans. Call once before the process exits.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            eprintln!("plenum: flushing traces failed: {e}");
        }
    }
}

/// Installs the global subscriber. Libraries that talk HTTP are kept at `warn` so that the
/// exporter's own requests do not feed back into the traces it exports.
pub fn init(settings: &TelemetrySettings) -> anyhow::Result<Telemetry> {
    let directives = format!(
        "{},hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,opentelemetry=warn,sqlx=warn",
        settings.log_filter
    );
    let filter = EnvFilter::try_new(&directives)
        .with_context(|| format!("telemetry.log_filter `{}` is invalid", settings.log_filter))?;
    let fmt = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let provider = match &settings.otlp_endpoint {
        None => None,
        Some(endpoint) => {
            let url = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(url)
                .build()
                .context("telemetry.otlp_endpoint: building the OTLP exporter failed")?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        Resource::builder()
                            .with_service_name(settings.service_name.clone())
                            .build(),
                    )
                    .build(),
            )
        }
    };
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("plenum"))
            .boxed()
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init()
        .context("a tracing subscriber was already installed")?;
    Ok(Telemetry { provider })
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .expect("static buckets are valid")
                .install_recorder()
                .expect("no other metrics recorder is installed")
        })
        .clone()
}
