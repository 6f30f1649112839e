//! GraphQL as a service for the portal: in-process in all-in-one mode, over HTTP when split.

use crate::Gateway;
use crate::edge::TENANT_HEADER;
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_identity::internal_token::{HEADER as INTERNAL_HEADER, TokenKey};
use plenum_tenants::TenantInfo;
use serde_json::Value;
use url::Url;

/// Runs a GraphQL document for a caller and returns its `data`, or the first error.
#[async_trait::async_trait]
pub trait GraphqlApi: Send + Sync {
    async fn execute_json(
        &self,
        caller: &Identity,
        tenant: Option<&TenantInfo>,
        query: &str,
        variables: Value,
    ) -> ServiceResult<Value>;
}

fn first_error(errors: &Value) -> Option<ServiceError> {
    let first = errors.as_array()?.first()?;
    let message = first["message"].as_str().unwrap_or("error").to_owned();
    let code = serde_json::from_value::<ErrorCode>(first["extensions"]["code"].clone())
        .unwrap_or(ErrorCode::Internal);
    let mut error = ServiceError::new(code, message);
    error.field = first["extensions"]["field"].as_str().map(str::to_owned);
    Some(error)
}

#[async_trait::async_trait]
impl GraphqlApi for Gateway {
    async fn execute_json(
        &self,
        caller: &Identity,
        tenant: Option<&TenantInfo>,
        query: &str,
        variables: Value,
    ) -> ServiceResult<Value> {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self
            .execute_internal(caller.clone(), tenant.cloned(), request)
            .await;
        let json = serde_json::to_value(&response).map_err(ServiceError::internal)?;
        match first_error(&json["errors"]) {
            Some(err) => Err(err),
            None => Ok(json["data"].clone()),
        }
    }
}

/// [`GraphqlApi`] for a gateway in another process.
#[derive(Clone, Debug)]
pub struct GatewayClient {
    http: reqwest::Client,
    url: String,
    key: TokenKey,
    token_ttl_secs: i64,
}

impl GatewayClient {
    pub fn new(base: Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        GatewayClient {
            http: plenum_rpc::internal_http_client(),
            url: format!("{}/graphql", base.as_str().trim_end_matches('/')),
            key,
            token_ttl_secs: i64::from(token_ttl_secs),
        }
    }
}

#[async_trait::async_trait]
impl GraphqlApi for GatewayClient {
    async fn execute_json(
        &self,
        caller: &Identity,
        tenant: Option<&TenantInfo>,
        query: &str,
        variables: Value,
    ) -> ServiceResult<Value> {
        let token = self
            .key
            .sign(caller, plenum_rpc::unix_now(), self.token_ttl_secs);
        let mut request = self
            .http
            .post(&self.url)
            .header(INTERNAL_HEADER, token)
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(tenant) = tenant {
            request = request.header(TENANT_HEADER, &tenant.slug);
        }
        let response = request
            .send()
            .await
            .map_err(|_| ServiceError::unavailable("the gateway is not reachable"))?;
        let json: Value = response
            .json()
            .await
            .map_err(|e| ServiceError::unavailable(format!("the gateway broke off: {e}")))?;
        match first_error(&json["errors"]) {
            Some(err) => Err(err),
            None => Ok(json["data"].clone()),
        }
    }
}
