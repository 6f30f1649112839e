//! File bytes over plain HTTP below a tenant's base URL; the documents service does the work.
//!
//! - `POST files?ownerKind=…&ownerId=…&role=…&public=…&fileName=…[&name=…][&date=…]` uploads
//!   a new file (the body is the bytes, streamed);
//! - `POST files/<id>/versions?fileName=…` uploads a new version of a file;
//! - `GET files/<id>[?version=n]` shows the bytes inline (OParl `accessUrl`),
//!   `GET files/<id>/download` as an attachment (`downloadUrl`), both with `Range`, `ETag` and
//!   `If-None-Match`;
//! - `GET files/<id>/signed?v=…&d=…&exp=…&sig=…` serves a short-lived signed link without
//!   sign-in (the signature is the permission);
//! - `GET meetings/<id>/packet` renders the meeting packet (invitation and every PDF of the
//!   agenda the caller may see, with bookmarks).
//!
//! Errors are JSON `{"error": {"code", "message", "field"}}` with the code's HTTP status.

use crate::edge::ResolvedTenant;
use crate::{Gateway, client};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{StreamExt, TryStreamExt};
use plenum_documents::range::ByteRange;
use plenum_documents::signing::SignedQuery;
use plenum_documents::{
    Download, DownloadOutcome, NewFile, OpenRequest, UploadRequest, UploadTarget,
};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::TenantInfo;
use plenum_tenants::council::model::{FileOwner, FileRole, Kind};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;

pub(crate) fn routes(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/files", post(upload_new))
        .route("/files/{id}", get(open::<false>))
        .route("/files/{id}/download", get(open::<true>))
        .route("/files/{id}/versions", post(upload_version))
        .route("/files/{id}/signed", get(signed))
        .route("/meetings/{id}/packet", get(packet))
        .with_state(gateway)
}

/// A JSON error answer with the code's status.
pub(crate) fn error_response(err: ServiceError) -> Response {
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({
        "error": { "code": err.code.as_str(), "message": err.message, "field": err.field }
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

fn tenant_of(tenant: Option<Extension<ResolvedTenant>>) -> Result<TenantInfo, ServiceError> {
    tenant
        .map(|Extension(ResolvedTenant(info))| info)
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::TenantRequired,
                "files belong to a tenant: use the tenant's URL",
            )
        })
}

fn parse_file_id(raw: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::not_found(format!("no file with id {raw}")))
}

async fn caller(
    gateway: &Gateway,
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    tenant: &TenantInfo,
) -> Result<Identity, ServiceError> {
    let origin = client::address(
        headers,
        peer.map(|Extension(ConnectInfo(addr))| addr),
        gateway.options.trust_forwarded_for,
    )
    .map(|ip| ip.to_string());
    gateway.auth.identify(headers, Some(tenant), origin).await
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The response for a download: status, the headers a browser and a cache need, the bytes.
fn download_response(download: Download) -> Response {
    let head = download.head;
    let v = &head.version;
    let (status, length) = match head.outcome {
        DownloadOutcome::Full => (StatusCode::OK, Some(v.size_bytes as u64)),
        DownloadOutcome::Partial { start, end, .. } => {
            (StatusCode::PARTIAL_CONTENT, Some(end - start))
        }
        DownloadOutcome::NotModified => (StatusCode::NOT_MODIFIED, None),
    };
    let body = match download.body {
        Some(stream) => Body::from_stream(stream),
        None => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    };
    set(header::ETAG, head.etag.clone());
    set(header::ACCEPT_RANGES, "bytes".into());
    // Visibility can change (a paper withdrawn): caches must ask again every time.
    set(header::CACHE_CONTROL, "private, no-cache".into());
    if status != StatusCode::NOT_MODIFIED {
        set(header::CONTENT_TYPE, v.mime_type.clone());
        set(
            header::CONTENT_DISPOSITION,
            head.content_disposition.clone(),
        );
        set(
            header::HeaderName::from_static("x-content-type-options"),
            "nosniff".into(),
        );
    }
    if let Some(length) = length {
        set(header::CONTENT_LENGTH, length.to_string());
    }
    if let DownloadOutcome::Partial { start, end, total } = head.outcome {
        set(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{total}", end - 1),
        );
    }
    response
}

#[derive(Deserialize)]
struct VersionQuery {
    version: Option<i32>,
}

/// `files/<id>` (inline, `ATTACHMENT = false`) and `files/<id>/download` (attachment).
async fn open<const ATTACHMENT: bool>(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let tenant = tenant_of(tenant)?;
        let identity = caller(&gateway, &headers, peer, &tenant).await?;
        let request = OpenRequest {
            file_id: parse_file_id(&id)?,
            version: q.version,
            attachment: ATTACHMENT,
            range: header_str(&headers, header::RANGE).and_then(ByteRange::parse),
            if_none_match: header_str(&headers, header::IF_NONE_MATCH).map(str::to_owned),
        };
        let file_id = request.file_id;
        let download = match gateway.documents.open(&identity, tenant.id, request).await {
            Err(e) if e.code == ErrorCode::NotFound => {
                return Err(gone_or(&gateway, &identity, tenant.id, file_id, e).await);
            }
            other => other?,
        };
        Ok(download_response(download))
    };
    result.await.unwrap_or_else(error_response)
}

/// A file the caller could see but that was deleted answers 410 (OParl asks for it); a file
/// they never could see stays a plain 404, so that nothing tells them it existed.
async fn gone_or(
    gateway: &Gateway,
    identity: &Identity,
    tenant: Uuid,
    file_id: Uuid,
    not_found: ServiceError,
) -> ServiceError {
    match gateway
        .council
        .load(identity, tenant, Kind::File, vec![file_id])
        .await
    {
        Ok(found) if found.iter().any(|f| f.meta().deleted) => {
            ServiceError::new(ErrorCode::Gone, "Die Datei wurde gelöscht.")
        }
        _ => not_found,
    }
}

async fn signed(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    Path(id): Path<String>,
    query: Result<Query<SignedQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let tenant = tenant_of(tenant)?;
        let file_id = parse_file_id(&id)?;
        let Ok(Query(query)) = query else {
            return Err(ServiceError::new(
                ErrorCode::LinkInvalid,
                "the download link is incomplete",
            ));
        };
        let download = gateway
            .documents
            .open_signed(
                tenant.id,
                file_id,
                query,
                header_str(&headers, header::RANGE).and_then(ByteRange::parse),
                header_str(&headers, header::IF_NONE_MATCH).map(str::to_owned),
            )
            .await?;
        Ok(download_response(download))
    };
    result.await.unwrap_or_else(error_response)
}

/// `GET meetings/<id>/packet`: the meeting packet (Sitzungsmappe) for the caller.
async fn packet(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let tenant = tenant_of(tenant)?;
        let identity = caller(&gateway, &headers, peer, &tenant).await?;
        let meeting = Uuid::parse_str(&id)
            .map_err(|_| ServiceError::not_found(format!("no meeting with id {id}")))?;
        let download = gateway
            .documents
            .packet(&identity, tenant.id, meeting)
            .await?;
        Ok(download_response(download))
    };
    result.await.unwrap_or_else(error_response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewFileQuery {
    owner_kind: FileOwner,
    owner_id: Uuid,
    role: FileRole,
    public: bool,
    file_name: String,
    name: Option<String>,
    date: Option<chrono::NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionUploadQuery {
    file_name: String,
}

fn query_error(e: axum::extract::rejection::QueryRejection) -> ServiceError {
    ServiceError::validation("query", e.body_text())
}

async fn store(
    gateway: &Gateway,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    target: UploadTarget,
    file_name: String,
    request: Request,
) -> Result<Response, ServiceError> {
    let tenant = tenant_of(tenant)?;
    let identity = caller(gateway, request.headers(), peer, &tenant).await?;
    let declared_size =
        header_str(request.headers(), header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    let body = request
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other)
        .boxed();
    let upload = UploadRequest {
        target,
        file_name,
        declared_size,
    };
    let version = gateway
        .documents
        .upload(&identity, tenant.id, upload, body)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(version)).into_response())
}

async fn upload_new(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    query: Result<Query<NewFileQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Response {
    let result = async {
        let Query(q) = query.map_err(query_error)?;
        let target = UploadTarget::New(NewFile {
            owner_kind: q.owner_kind,
            owner_id: q.owner_id,
            file_role: q.role,
            public: q.public,
            name: q.name,
            file_date: q.date,
        });
        store(&gateway, tenant, peer, target, q.file_name, request).await
    };
    result.await.unwrap_or_else(error_response)
}

async fn upload_version(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<String>,
    query: Result<Query<VersionUploadQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Response {
    let result = async {
        let file_id = parse_file_id(&id)?;
        let Query(q) = query.map_err(query_error)?;
        store(
            &gateway,
            tenant,
            peer,
            UploadTarget::Version { file_id },
            q.file_name,
            request,
        )
        .await
    };
    result.await.unwrap_or_else(error_response)
}
