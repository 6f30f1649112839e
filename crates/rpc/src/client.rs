use crate::{INTERNAL_PREFIX, unix_now};
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_identity::internal_token::{HEADER, TokenKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// The HTTP client for calls between Plenum's own processes.
pub fn internal_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(60))
        // Internal calls never follow redirects: a redirect here is a misconfiguration.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a plain HTTP client builds")
}

/// The HTTP client for streamed calls (file bytes): no limit on the whole exchange, which
/// may carry a gigabyte, but one on connecting and on each read.
fn streaming_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a plain HTTP client builds")
}

/// Calls one peer service over HTTP on behalf of an identity.
#[derive(Clone, Debug)]
pub struct RpcClient {
    http: reqwest::Client,
    streaming: reqwest::Client,
    base: Url,
    service: &'static str,
    key: TokenKey,
    token_ttl_secs: i64,
}

impl RpcClient {
    pub fn new(base: Url, service: &'static str, key: TokenKey, token_ttl_secs: u32) -> Self {
        RpcClient {
            http: internal_http_client(),
            streaming: streaming_http_client(),
            base,
            service,
            key,
            token_ttl_secs: i64::from(token_ttl_secs),
        }
    }

    fn url(&self, method: &str) -> String {
        format!(
            "{}{INTERNAL_PREFIX}/{}/{method}",
            self.base.as_str().trim_end_matches('/'),
            self.service
        )
    }

    /// A POST to the peer's `method` for a streamed body or answer, with the caller's token;
    /// send it and pass the response to [`RpcClient::check`].
    pub fn streaming_request(&self, caller: &Identity, method: &str) -> reqwest::RequestBuilder {
        let token = self.key.sign(caller, unix_now(), self.token_ttl_secs);
        self.streaming.post(self.url(method)).header(HEADER, token)
    }

    /// The response of a streamed call if it succeeded, else the peer's error.
    pub async fn check(
        &self,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> ServiceResult<reqwest::Response> {
        let response = sent.map_err(|e| {
            tracing::warn!(peer = self.service, error = %e, "peer unreachable");
            ServiceError::unavailable(format!("the {} service is not reachable", self.service))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(match serde_json::from_slice::<ServiceError>(&body) {
            Ok(err) => err,
            Err(_) => {
                ServiceError::unavailable(format!("the {} service answered {status}", self.service))
            }
        })
    }

    /// POSTs `request` to the peer's `method` and decodes the answer.
    pub async fn call<Req: Serialize + Sync, Resp: DeserializeOwned>(
        &self,
        caller: &Identity,
        method: &str,
        request: &Req,
    ) -> ServiceResult<Resp> {
        let url = format!(
            "{}{INTERNAL_PREFIX}/{}/{method}",
            self.base.as_str().trim_end_matches('/'),
            self.service
        );
        let token = self.key.sign(caller, unix_now(), self.token_ttl_secs);
        let response = self
            .http
            .post(&url)
            .header(HEADER, token)
            .json(request)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(peer = self.service, %url, error = %e, "peer unreachable");
                ServiceError::unavailable(format!("the {} service is not reachable", self.service))
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            ServiceError::unavailable(format!("the {} service broke off: {e}", self.service))
        })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                ServiceError::internal(format!(
                    "{} answered {method} with bad JSON: {e}",
                    self.service
                ))
            });
        }
        match serde_json::from_slice::<ServiceError>(&body) {
            Ok(err) => Err(err),
            Err(_) => Err(ServiceError::new(
                if status.is_server_error() {
                    ErrorCode::Unavailable
                } else {
                    ErrorCode::Internal
                },
                format!("the {} service answered {status}", self.service),
            )),
        }
    }
}
