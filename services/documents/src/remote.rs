//! The documents service over HTTP for split mode. JSON calls go through the RPC client;
//! file bytes stream in the request or response body, with the metadata in a header.

use crate::range::ByteRange;
use crate::signing::SignedQuery;
use crate::storage::ByteStream;
use crate::{
    DocumentsApi, Download, DownloadHead, ExtractedText, FileLink, FileVersion, GenerateRequest,
    LinkRequest, OpenRequest, UploadRequest,
};
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Json, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{StreamExt, TryStreamExt};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{RpcClient, ServiceStatus, internal_routes, reply};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

const SERVICE: &str = "documents";
/// Carries the JSON that goes with a streamed body (base64url, so any name fits a header).
const META_HEADER: &str = "x-plenum-meta";

#[derive(Serialize, Deserialize)]
struct UploadCall {
    tenant: Uuid,
    request: UploadRequest,
}

#[derive(Serialize, Deserialize)]
struct OpenCall {
    tenant: Uuid,
    request: OpenRequest,
}

#[derive(Serialize, Deserialize)]
struct OpenSignedCall {
    tenant: Uuid,
    file_id: Uuid,
    query: SignedQuery,
    range: Option<ByteRange>,
    if_none_match: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct LinkCall {
    tenant: Uuid,
    request: LinkRequest,
}

#[derive(Serialize, Deserialize)]
struct GenerateCall {
    tenant: Uuid,
    request: GenerateRequest,
}

#[derive(Serialize, Deserialize)]
struct FileCall {
    tenant: Uuid,
    file_id: Uuid,
}

/// A call about many files of a tenant (`texts`, `stored`).
#[derive(Serialize, Deserialize)]
struct FilesCall {
    tenant: Uuid,
    files: Vec<Uuid>,
}

fn encode_meta<T: Serialize>(value: &T) -> HeaderValue {
    let json = serde_json::to_vec(value).expect("metadata serialises");
    HeaderValue::from_str(&URL_SAFE_NO_PAD.encode(json)).expect("base64 is a valid header")
}

fn decode_meta<T: DeserializeOwned>(headers: &HeaderMap) -> ServiceResult<T> {
    let raw = headers
        .get(META_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServiceError::validation(META_HEADER, "is missing"))?;
    let json = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| ServiceError::validation(META_HEADER, "is not base64url"))?;
    serde_json::from_slice(&json)
        .map_err(|e| ServiceError::validation(META_HEADER, format!("is not valid: {e}")))
}

fn stream_reply(result: ServiceResult<Download>) -> Response {
    match result {
        Ok(download) => {
            let body = match download.body {
                Some(stream) => Body::from_stream(stream),
                None => Body::empty(),
            };
            let mut response = Response::new(body);
            response
                .headers_mut()
                .insert(META_HEADER, encode_meta(&download.head));
            response
        }
        Err(e) => reply::<()>(Err(e)),
    }
}

/// The internal routes of the documents role.
pub fn routes(api: Arc<dyn DocumentsApi>, key: TokenKey) -> Router {
    type Api = State<Arc<dyn DocumentsApi>>;
    let routes = Router::new()
        .route(
            "/status",
            post(|State(api): Api, Extension(caller): Extension<Identity>| async move {
                reply(api.status(&caller).await)
            }),
        )
        .route(
            "/upload",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, request: Request| async move {
                    let call: UploadCall = match decode_meta(request.headers()) {
                        Ok(call) => call,
                        Err(e) => return reply::<()>(Err(e)),
                    };
                    let body: ByteStream = request
                        .into_body()
                        .into_data_stream()
                        .map_err(std::io::Error::other)
                        .boxed();
                    reply(api.upload(&caller, call.tenant, call.request, body).await)
                },
            ),
        )
        .route(
            "/open",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(call): Json<OpenCall>| async move {
                    stream_reply(api.open(&caller, call.tenant, call.request).await)
                },
            ),
        )
        .route(
            "/open_signed",
            post(|State(api): Api, Json(c): Json<OpenSignedCall>| async move {
                stream_reply(
                    api.open_signed(c.tenant, c.file_id, c.query, c.range, c.if_none_match)
                        .await,
                )
            }),
        )
        .route(
            "/link",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<LinkCall>| async move {
                    reply(api.link(&caller, c.tenant, c.request).await)
                },
            ),
        )
        .route(
            "/versions",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<FileCall>| async move {
                    reply(api.versions(&caller, c.tenant, c.file_id).await)
                },
            ),
        )
        .route(
            "/packet",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<FileCall>| async move {
                    stream_reply(api.packet(&caller, c.tenant, c.file_id).await)
                },
            ),
        )
        .route(
            "/generate",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<GenerateCall>| async move {
                    reply(api.generate(&caller, c.tenant, c.request).await)
                },
            ),
        )
        .route(
            "/text",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<FileCall>| async move {
                    reply(api.text(&caller, c.tenant, c.file_id).await)
                },
            ),
        )
        .route(
            "/texts",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<FilesCall>| async move {
                    reply(api.texts(&caller, c.tenant, c.files).await)
                },
            ),
        )
        .route(
            "/stored",
            post(
                |State(api): Api, Extension(caller): Extension<Identity>, Json(c): Json<FilesCall>| async move {
                    reply(api.stored(&caller, c.tenant, c.files).await)
                },
            ),
        )
        .with_state(api);
    internal_routes(SERVICE, routes, key)
}

/// [`DocumentsApi`] for a documents role in another process.
#[derive(Clone, Debug)]
pub struct DocumentsClient {
    rpc: RpcClient,
}

impl DocumentsClient {
    pub fn new(base: url::Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        DocumentsClient {
            rpc: RpcClient::new(base, SERVICE, key, token_ttl_secs),
        }
    }

    async fn download<T: Serialize>(
        &self,
        caller: &Identity,
        method: &str,
        call: &T,
    ) -> ServiceResult<Download> {
        let sent = self
            .rpc
            .streaming_request(caller, method)
            .json(call)
            .send()
            .await;
        let response = self.rpc.check(sent).await?;
        let head: DownloadHead = decode_meta(response.headers())?;
        let body = match head.outcome {
            crate::DownloadOutcome::NotModified => None,
            _ => Some(
                response
                    .bytes_stream()
                    .map_err(std::io::Error::other)
                    .boxed(),
            ),
        };
        Ok(Download { head, body })
    }
}

#[async_trait::async_trait]
impl DocumentsApi for DocumentsClient {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus> {
        self.rpc
            .call(caller, "status", &serde_json::json!({}))
            .await
    }

    async fn upload(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: UploadRequest,
        body: ByteStream,
    ) -> ServiceResult<FileVersion> {
        let sent = self
            .rpc
            .streaming_request(caller, "upload")
            .header(META_HEADER, encode_meta(&UploadCall { tenant, request }))
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        let response = self.rpc.check(sent).await?;
        response
            .json()
            .await
            .map_err(|e| ServiceError::unavailable(format!("the documents service broke off: {e}")))
    }

    async fn open(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: OpenRequest,
    ) -> ServiceResult<Download> {
        self.download(caller, "open", &OpenCall { tenant, request })
            .await
    }

    async fn open_signed(
        &self,
        tenant: Uuid,
        file_id: Uuid,
        query: SignedQuery,
        range: Option<ByteRange>,
        if_none_match: Option<String>,
    ) -> ServiceResult<Download> {
        let call = OpenSignedCall {
            tenant,
            file_id,
            query,
            range,
            if_none_match,
        };
        self.download(&Identity::anonymous(), "open_signed", &call)
            .await
    }

    async fn link(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: LinkRequest,
    ) -> ServiceResult<FileLink> {
        self.rpc
            .call(caller, "link", &LinkCall { tenant, request })
            .await
    }

    async fn versions(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Vec<FileVersion>> {
        self.rpc
            .call(caller, "versions", &FileCall { tenant, file_id })
            .await
    }

    async fn generate(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: GenerateRequest,
    ) -> ServiceResult<FileVersion> {
        self.rpc
            .call(caller, "generate", &GenerateCall { tenant, request })
            .await
    }

    async fn packet(
        &self,
        caller: &Identity,
        tenant: Uuid,
        meeting: Uuid,
    ) -> ServiceResult<Download> {
        let call = FileCall {
            tenant,
            file_id: meeting,
        };
        self.download(caller, "packet", &call).await
    }

    async fn text(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Option<ExtractedText>> {
        self.rpc
            .call(caller, "text", &FileCall { tenant, file_id })
            .await
    }

    async fn texts(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<(Uuid, String)>> {
        self.rpc
            .call(caller, "texts", &FilesCall { tenant, files })
            .await
    }

    async fn stored(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<FileVersion>> {
        self.rpc
            .call(caller, "stored", &FilesCall { tenant, files })
            .await
    }
}
