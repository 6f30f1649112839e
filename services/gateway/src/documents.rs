//! Documents Plenum renders (Vorlage, Einladung, Niederschrift, Auszug) as GraphQL mutations.

use crate::council::council;
use crate::errors::to_gql;
use crate::schema::backends;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use plenum_documents::{DocumentKind, GenerateRequest};
use plenum_errors::ServiceError;
use uuid::Uuid;

/// The documents Plenum renders from council data.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "plenum_documents::DocumentKind")]
pub enum GeneratedDocument {
    /// Vorlage: header, Beratungsfolge, text; from a paper's id.
    Paper,
    /// Einladung with the agenda; from a meeting's id.
    Invitation,
    /// Niederschrift with attendance, results, votes and resolutions; from a meeting's id.
    Minutes,
    /// Auszug of one agenda item for the department that acts on it; from the item's id.
    Extract,
}

/// A stored, generated document.
#[derive(SimpleObject)]
pub struct GeneratedFile {
    /// The file (Datei) it was stored as.
    pub file_id: ID,
    pub version: i32,
    pub size_bytes: i64,
    pub file_name: String,
}

#[derive(Default)]
pub struct DocumentsMutation;

#[Object]
impl DocumentsMutation {
    /// Renders a document as a tagged PDF (PDF/UA-1; approved minutes also PDF/A-2a) from
    /// what the caller may see, and stores it as the next version of the owner's file of that
    /// kind. `publicVersion` leaves out every non-public item and stores the file as public.
    async fn generate_document(
        &self,
        ctx: &Context<'_>,
        kind: GeneratedDocument,
        id: ID,
        #[graphql(default = false)] public_version: bool,
    ) -> Result<GeneratedFile> {
        let council = council(ctx)?;
        let id = Uuid::parse_str(id.as_str())
            .map_err(|_| to_gql(ServiceError::validation("id", "is not an id")))?;
        let version = backends(ctx)
            .documents
            .generate(
                &council.caller,
                council.tenant,
                GenerateRequest {
                    kind: DocumentKind::from(kind),
                    id,
                    public_only: public_version,
                },
            )
            .await
            .map_err(to_gql)?;
        Ok(GeneratedFile {
            file_id: ID(version.file_id.to_string()),
            version: version.version,
            size_bytes: version.size_bytes,
            file_name: version.file_name,
        })
    }
}
