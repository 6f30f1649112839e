//! HTTP for OParl (§2.3, §2.9–2.11): GET only, JSON in UTF-8 with
//! `Access-Control-Allow-Origin: *` on every answer (errors too), 301 to the canonical URL,
//! ETags with 304, and Error objects with the proper status.

use crate::Oparl;
use crate::error::OparlError;
use crate::params::ListParams;
use crate::paths::{self, Parsed, Route};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, body::Body};
use plenum_tenants::ResolvedTenant;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use url::Url;

/// Routes below a tenant's base (the edge has stripped the base's path).
pub fn tenant_routes(oparl: Arc<Oparl>) -> Router {
    Router::new()
        .route("/oparl", get(to_body))
        .route("/oparl/", get(to_body))
        .route("/oparl/v1.1", get(to_body))
        .route("/oparl/v1.1/", get(to_body))
        .route("/oparl/v1.1/{*rest}", get(tenant))
        .with_state(oparl)
}

/// Routes of the installation: the System and the list of Bodies.
pub fn installation_routes(oparl: Arc<Oparl>) -> Router {
    Router::new()
        .route("/oparl", get(to_system))
        .route("/oparl/", get(to_system))
        .route("/oparl/v1.1", get(to_system))
        .route("/oparl/v1.1/", get(to_system))
        .route("/oparl/v1.1/system", get(system))
        .route("/oparl/v1.1/bodies", get(bodies))
        .with_state(oparl)
}

/// A JSON answer with the headers OParl asks for; `Some(headers)` of the request makes it
/// conditional (ETag, 304).
pub(crate) fn json_response(
    status: StatusCode,
    body: &Value,
    request: Option<&HeaderMap>,
) -> Response {
    let bytes = serde_json::to_vec(body).expect("JSON values always serialise");
    let mut response = if let Some(request) = request {
        let etag = format!("\"{}\"", hex(&Sha256::digest(&bytes)[..16]));
        let unchanged = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut response = if unchanged {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (status, Body::from(bytes)).into_response()
        };
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    } else {
        (status, Body::from(bytes)).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Public data, but it changes: clients may keep it a minute.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn redirect(to: Url) -> Response {
    let mut response = (StatusCode::MOVED_PERMANENTLY, Body::empty()).into_response();
    if let Ok(location) = HeaderValue::from_str(to.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn answer(result: Result<Value, OparlError>, headers: &HeaderMap) -> Response {
    match result {
        Ok(value) => json_response(StatusCode::OK, &value, Some(headers)),
        Err(err) => err.response(),
    }
}

/// When the request's query is not in canonical form, the same URL with the canonical one.
fn canonical(mut url: Url, raw: Option<&str>, params: &ListParams) -> Option<Url> {
    let canonical = params.canonical_query();
    if raw.unwrap_or_default() == canonical {
        return None;
    }
    url.set_query((!canonical.is_empty()).then_some(canonical.as_str()));
    Some(url)
}

async fn to_body(
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    State(oparl): State<Arc<Oparl>>,
) -> Response {
    match oparl.urls(&tenant) {
        Ok(urls) => redirect(urls.body()),
        Err(err) => err.response(),
    }
}

async fn to_system(State(oparl): State<Arc<Oparl>>) -> Response {
    redirect(oparl.installation.oparl_system())
}

async fn tenant(
    State(oparl): State<Arc<Oparl>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    Path(rest): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let urls = match oparl.urls(&tenant) {
        Ok(urls) => urls,
        Err(err) => return err.response(),
    };
    let route = match paths::parse(&rest) {
        Parsed::Route(route) => route,
        Parsed::Redirect(path) => {
            let mut url = urls.base.oparl(&path);
            url.set_query(raw.as_deref());
            return redirect(url);
        }
        Parsed::NotFound => return OparlError::not_found().response(),
    };
    let parsed = match route {
        Route::List(..) => ListParams::parse(raw.as_deref()),
        Route::Body | Route::Object(..) => ListParams::parse_object(raw.as_deref()),
    };
    let params = match parsed {
        Ok(params) => params,
        Err(err) => return err.response(),
    };
    if let Some(url) = canonical(urls.route(route), raw.as_deref(), &params) {
        return redirect(url);
    }
    let result = match route {
        Route::Body => oparl.body(&tenant, &params).await,
        Route::List(kind, scope) => oparl.list(&tenant, &urls, kind, scope, &params).await,
        Route::Object(kind, id) => oparl.object(&tenant, &urls, kind, id, &params).await,
    };
    answer(result, &headers)
}

async fn system(
    State(oparl): State<Arc<Oparl>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if raw.as_deref().is_some_and(|q| !q.is_empty()) {
        return OparlError::bad_request("Das System-Objekt kennt keine Parameter.").response();
    }
    answer(oparl.system().await, &headers)
}

async fn bodies(
    State(oparl): State<Arc<Oparl>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match ListParams::parse(raw.as_deref()) {
        Ok(params) => params,
        Err(err) => return err.response(),
    };
    if let Some(url) = canonical(oparl.installation.oparl_bodies(), raw.as_deref(), &params) {
        return redirect(url);
    }
    answer(oparl.bodies(&params).await, &headers)
}
