//! The council domain over HTTP for split mode: one route per operation below
//! `/internal/v1/council/`, served by the tenants role.

use super::api::{
    AccessLogPage, AccessLogQuery, CouncilApi, FileContent, ImportBatch, ImportReport, IndexSource,
    ListQuery, Page, Relation, SourceRequest, ViewerProfile,
};
use super::model::{Kind, NewObject, Object};
use super::workflow::{Command, Read};
use axum::Router;
use axum::extract::{Extension, Json, Path, State};
use axum::response::Response;
use axum::routing::post;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{RpcClient, internal_routes, reply};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

const SERVICE: &str = "council";

/// Every operation with its arguments; the route name is the tag.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Call {
    Load {
        tenant: Uuid,
        kind: Kind,
        ids: Vec<Uuid>,
    },
    Related {
        tenant: Uuid,
        relation: Relation,
        parents: Vec<Uuid>,
    },
    List {
        tenant: Uuid,
        query: ListQuery,
    },
    Create {
        tenant: Uuid,
        input: NewObject,
    },
    Update {
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
        patch: Map<String, Value>,
    },
    Delete {
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
    },
    Import {
        tenant: Uuid,
        batch: ImportBatch,
    },
    AccessLog {
        tenant: Uuid,
        query: AccessLogQuery,
    },
    RecordFileContent {
        tenant: Uuid,
        content: FileContent,
    },
    IndexSources {
        tenant: Uuid,
        request: SourceRequest,
    },
    SearchTags {
        tenant: Uuid,
    },
    ViewerProfile {
        tenant: Uuid,
    },
    Workflow {
        tenant: Uuid,
        command: Command,
    },
    WorkflowRead {
        tenant: Uuid,
        read: Read,
    },
}

impl Call {
    fn op(&self) -> &'static str {
        match self {
            Call::Load { .. } => "load",
            Call::Related { .. } => "related",
            Call::List { .. } => "list",
            Call::Create { .. } => "create",
            Call::Update { .. } => "update",
            Call::Delete { .. } => "delete",
            Call::Import { .. } => "import",
            Call::AccessLog { .. } => "access_log",
            Call::RecordFileContent { .. } => "record_file_content",
            Call::IndexSources { .. } => "index_sources",
            Call::SearchTags { .. } => "search_tags",
            Call::ViewerProfile { .. } => "viewer_profile",
            Call::Workflow { .. } => "workflow",
            Call::WorkflowRead { .. } => "workflow_read",
        }
    }
}

async fn dispatch(api: &dyn CouncilApi, caller: &Identity, call: Call) -> Response {
    match call {
        Call::Load { tenant, kind, ids } => reply(api.load(caller, tenant, kind, ids).await),
        Call::Related {
            tenant,
            relation,
            parents,
        } => reply(api.related(caller, tenant, relation, parents).await),
        Call::List { tenant, query } => reply(api.list(caller, tenant, query).await),
        Call::Create { tenant, input } => reply(api.create(caller, tenant, input).await),
        Call::Update {
            tenant,
            kind,
            id,
            patch,
        } => reply(api.update(caller, tenant, kind, id, patch).await),
        Call::Delete { tenant, kind, id } => reply(api.delete(caller, tenant, kind, id).await),
        Call::Import { tenant, batch } => reply(api.import(caller, tenant, batch).await),
        Call::AccessLog { tenant, query } => reply(api.access_log(caller, tenant, query).await),
        Call::RecordFileContent { tenant, content } => {
            reply(api.record_file_content(caller, tenant, content).await)
        }
        Call::IndexSources { tenant, request } => {
            reply(api.index_sources(caller, tenant, request).await)
        }
        Call::SearchTags { tenant } => reply(api.search_tags(caller, tenant).await),
        Call::ViewerProfile { tenant } => reply(api.viewer_profile(caller, tenant).await),
        Call::Workflow { tenant, command } => reply(api.workflow(caller, tenant, command).await),
        Call::WorkflowRead { tenant, read } => reply(api.workflow_read(caller, tenant, read).await),
    }
}

/// The internal routes of the council domain, refusing calls without a valid internal token.
pub fn routes(api: Arc<dyn CouncilApi>, key: TokenKey) -> Router {
    let routes = Router::new()
        .route(
            "/{op}",
            post(
                |State(api): State<Arc<dyn CouncilApi>>,
                 Extension(caller): Extension<Identity>,
                 Path(op): Path<String>,
                 Json(call): Json<Call>| async move {
                    if call.op() != op {
                        return reply::<()>(Err(ServiceError::validation(
                            "op",
                            "the body's operation differs from the route",
                        )));
                    }
                    dispatch(api.as_ref(), &caller, call).await
                },
            ),
        )
        .with_state(api);
    internal_routes(SERVICE, routes, key)
}

/// [`CouncilApi`] for a tenants role in another process.
#[derive(Clone, Debug)]
pub struct CouncilClient {
    rpc: RpcClient,
}

impl CouncilClient {
    pub fn new(base: Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        CouncilClient {
            rpc: RpcClient::new(base, SERVICE, key, token_ttl_secs),
        }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        caller: &Identity,
        call: Call,
    ) -> ServiceResult<T> {
        self.rpc.call(caller, call.op(), &call).await
    }
}

#[async_trait::async_trait]
impl CouncilApi for CouncilClient {
    async fn load(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        ids: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        self.call(caller, Call::Load { tenant, kind, ids }).await
    }

    async fn related(
        &self,
        caller: &Identity,
        tenant: Uuid,
        relation: Relation,
        parents: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        let call = Call::Related {
            tenant,
            relation,
            parents,
        };
        self.call(caller, call).await
    }

    async fn list(&self, caller: &Identity, tenant: Uuid, query: ListQuery) -> ServiceResult<Page> {
        self.call(caller, Call::List { tenant, query }).await
    }

    async fn create(
        &self,
        caller: &Identity,
        tenant: Uuid,
        input: NewObject,
    ) -> ServiceResult<Object> {
        self.call(caller, Call::Create { tenant, input }).await
    }

    async fn update(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> ServiceResult<Object> {
        let call = Call::Update {
            tenant,
            kind,
            id,
            patch,
        };
        self.call(caller, call).await
    }

    async fn delete(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
    ) -> ServiceResult<Object> {
        self.call(caller, Call::Delete { tenant, kind, id }).await
    }

    async fn import(
        &self,
        caller: &Identity,
        tenant: Uuid,
        batch: ImportBatch,
    ) -> ServiceResult<ImportReport> {
        self.call(caller, Call::Import { tenant, batch }).await
    }

    async fn access_log(
        &self,
        caller: &Identity,
        tenant: Uuid,
        query: AccessLogQuery,
    ) -> ServiceResult<AccessLogPage> {
        self.call(caller, Call::AccessLog { tenant, query }).await
    }

    async fn record_file_content(
        &self,
        caller: &Identity,
        tenant: Uuid,
        content: FileContent,
    ) -> ServiceResult<Object> {
        self.call(caller, Call::RecordFileContent { tenant, content })
            .await
    }

    async fn index_sources(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SourceRequest,
    ) -> ServiceResult<Vec<IndexSource>> {
        self.call(caller, Call::IndexSources { tenant, request })
            .await
    }

    async fn search_tags(
        &self,
        caller: &Identity,
        tenant: Uuid,
    ) -> ServiceResult<Option<Vec<String>>> {
        self.call(caller, Call::SearchTags { tenant }).await
    }

    async fn viewer_profile(
        &self,
        caller: &Identity,
        tenant: Uuid,
    ) -> ServiceResult<ViewerProfile> {
        self.call(caller, Call::ViewerProfile { tenant }).await
    }

    async fn workflow(
        &self,
        caller: &Identity,
        tenant: Uuid,
        command: Command,
    ) -> ServiceResult<Value> {
        self.call(caller, Call::Workflow { tenant, command }).await
    }

    async fn workflow_read(
        &self,
        caller: &Identity,
        tenant: Uuid,
        read: Read,
    ) -> ServiceResult<Value> {
        self.call(caller, Call::WorkflowRead { tenant, read }).await
    }
}
