//! What the documents service knows about a file's bytes, on the GraphQL `File` type:
//! addresses, versions, extracted text and short-lived links.

use crate::errors::to_gql;
use crate::schema::{backends, request};
use async_graphql::{Context, Result, SimpleObject};
use chrono::{DateTime, TimeZone, Utc};
use plenum_documents::{FileLink as Link, LinkRequest};
use plenum_errors::ServiceError;
use plenum_urls::TenantBase;
use uuid::Uuid;

/// One stored version of a file's bytes; replacing a file keeps the old versions.
#[derive(SimpleObject)]
pub struct FileVersion {
    pub version: i32,
    pub size_bytes: i64,
    /// Hex SHA-512 of the bytes.
    pub sha512: String,
    pub mime_type: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
}

/// The text extracted from a file's current version (for search and OParl `text`).
#[derive(SimpleObject)]
pub struct FileText {
    pub version: i32,
    /// `pending`, `done`, `failed` or `unsupported`.
    pub state: String,
    pub text: Option<String>,
    pub error: Option<String>,
    /// The text was cut at the size limit.
    pub truncated: bool,
}

/// A link to a file's bytes that works without sign-in until it expires.
#[derive(SimpleObject)]
pub struct FileLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn tenant_base(ctx: &Context<'_>) -> Result<(Uuid, TenantBase)> {
    let tenant = request(ctx)
        .tenant
        .as_ref()
        .ok_or_else(|| to_gql(ServiceError::internal("a file outside a tenant request")))?;
    let base = TenantBase::from_canonical(&tenant.base_url)
        .ok_or_else(|| to_gql(ServiceError::internal("the tenant's base URL is malformed")))?;
    Ok((tenant.id, base))
}

pub(crate) fn access_url(ctx: &Context<'_>, file: Uuid) -> Result<String> {
    Ok(tenant_base(ctx)?.1.file_access(file).to_string())
}

pub(crate) fn download_url(ctx: &Context<'_>, file: Uuid) -> Result<String> {
    Ok(tenant_base(ctx)?.1.file_download(file).to_string())
}

pub(crate) async fn versions(ctx: &Context<'_>, file: Uuid) -> Result<Vec<FileVersion>> {
    let (tenant, _) = tenant_base(ctx)?;
    let versions = backends(ctx)
        .documents
        .versions(&request(ctx).identity, tenant, file)
        .await
        .map_err(to_gql)?;
    Ok(versions
        .into_iter()
        .map(|v| FileVersion {
            version: v.version,
            size_bytes: v.size_bytes,
            sha512: v.sha512,
            mime_type: v.mime_type,
            file_name: v.file_name,
            created_at: v.created_at,
        })
        .collect())
}

pub(crate) async fn text(ctx: &Context<'_>, file: Uuid) -> Result<Option<FileText>> {
    let (tenant, _) = tenant_base(ctx)?;
    let text = backends(ctx)
        .documents
        .text(&request(ctx).identity, tenant, file)
        .await
        .map_err(to_gql)?;
    Ok(text.map(|t| FileText {
        version: t.version,
        state: t.state,
        text: t.text,
        error: t.error,
        truncated: t.truncated,
    }))
}

pub(crate) async fn link(ctx: &Context<'_>, file: Uuid, attachment: bool) -> Result<FileLink> {
    let (tenant, base) = tenant_base(ctx)?;
    let link = backends(ctx)
        .documents
        .link(
            &request(ctx).identity,
            tenant,
            LinkRequest {
                file_id: file,
                version: None,
                attachment,
            },
        )
        .await
        .map_err(to_gql)?;
    let (url, expires_at) = match link {
        Link::Presigned { url, expires_at } => (url, expires_at),
        Link::Signed { query, expires_at } => (
            base.file_signed(file, &query.to_query()).to_string(),
            expires_at,
        ),
    };
    Ok(FileLink {
        url,
        expires_at: Utc
            .timestamp_opt(expires_at, 0)
            .single()
            .unwrap_or_default(),
    })
}
