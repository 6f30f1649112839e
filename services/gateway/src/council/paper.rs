//! Papers and their path through the committees: Vorlagen, Beratungsfolge, Dateien.

use super::body::{Organization, Person};
use super::enums::FileRole;
use super::file_bytes;
use super::kind::council_object;
use super::meeting::{AgendaItem, Meeting};
use super::{Node, council, list_complexity};
use async_graphql::{Context, Object, Result};
use chrono::NaiveDate;
use plenum_tenants::council::Relation;
use plenum_tenants::council::model::ReleaseState;
use plenum_tenants::council::model::{self, ConsultationRole, ConsultationState, FileOwner};
use uuid::Uuid;

/// The files `owner` (a meeting, agenda item or paper) owns, all or those with `role`.
pub(crate) async fn owned_files(
    ctx: &Context<'_>,
    owner: Uuid,
    role: Option<FileRole>,
) -> Result<Vec<File>> {
    let files: Vec<File> = council(ctx)?
        .children_of(Relation::OwnedFiles, owner)
        .await?;
    let role = role.map(model::FileRole::from);
    Ok(files
        .into_iter()
        .filter(|f| role.is_none_or(|r| f.fields.file_role == r))
        .collect())
}

/// The first file `owner` owns with `role` (the main file, the invitation, …).
pub(crate) async fn owned_file(
    ctx: &Context<'_>,
    owner: Uuid,
    role: FileRole,
) -> Result<Option<File>> {
    Ok(owned_files(ctx, owner, Some(role))
        .await?
        .into_iter()
        .next())
}

council_object! {
    Paper(PaperFields, PaperStored) {
        input: PaperInput,
        patch: PaperPatch,
        fields {
            /// Betreff.
            title: String,
            /// Vorlagenart: one of the tenant's paper types (default: Beschlussvorlage,
            /// Mitteilungsvorlage, Antrag, Anfrage, Stellungnahme).
            paper_type: String,
            /// Datum; deadlines start from it.
            paper_date: NaiveDate,
            /// The department in charge (federführender Fachbereich).
            department_id: Option<Uuid>,
            /// Persons who submitted it (Antragsteller/in).
            originator_person_ids: Vec<Uuid>,
            /// Organizations that submitted it, e.g. a faction's motion.
            originator_organization_ids: Vec<Uuid>,
            /// Sachverhalt / Beschlussvorschlag.
            body_text: Option<String>,
            related_paper_ids: Vec<Uuid>,
            /// Öffentlich.
            public: bool,
            /// For a supplement (Ergänzung, "26-0042/1"): its main paper. Set on create,
            /// never changed afterwards.
            main_paper_id: Option<Uuid>,
        }
        assigned {
            /// Drucksachennummer from the tenant's numbering pattern, e.g. "26-0042", or
            /// "26-0042/1" for a supplement; assigned on create.
            reference: String,
            /// Freigabe; nothing reaches a portal before it is released. Workflow only.
            release_state: ReleaseState,
        }
    }
}

/// A paper put before the council (Vorlage / Drucksache: Beschlussvorlage,
/// Mitteilungsvorlage, Antrag, Anfrage, Stellungnahme).
#[Object]
impl Paper {
    #[graphql(flatten)]
    async fn stored(&self) -> &PaperStored {
        &self.0
    }

    /// The department in charge (federführender Fachbereich).
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        council(ctx)?.opt(self.fields.department_id).await
    }

    /// Persons who submitted it (Antragsteller/in).
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn originator_persons(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        council(ctx)?.many(&self.fields.originator_person_ids).await
    }

    /// Organizations that submitted it.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn originator_organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        council(ctx)?
            .many(&self.fields.originator_organization_ids)
            .await
    }

    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn related_papers(&self, ctx: &Context<'_>) -> Result<Vec<Paper>> {
        council(ctx)?.many(&self.fields.related_paper_ids).await
    }

    /// For a supplement: its main paper.
    async fn main_paper(&self, ctx: &Context<'_>) -> Result<Option<Paper>> {
        council(ctx)?.opt(self.fields.main_paper_id).await
    }

    /// Its supplements (Ergänzungen), by reference.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn supplements(&self, ctx: &Context<'_>) -> Result<Vec<Paper>> {
        council(ctx)?
            .children_of(Relation::PaperSupplements, self.meta.id)
            .await
    }

    /// The committees it passes, in order (Beratungsfolge).
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn consultations(&self, ctx: &Context<'_>) -> Result<Vec<Consultation>> {
        council(ctx)?
            .children_of(Relation::PaperConsultations, self.meta.id)
            .await
    }

    /// Hauptdokument.
    async fn main_file(&self, ctx: &Context<'_>) -> Result<Option<File>> {
        owned_file(ctx, self.meta.id, FileRole::Main).await
    }

    /// Anlagen.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<File>> {
        owned_files(ctx, self.meta.id, Some(FileRole::Attachment)).await
    }

    /// All files of the paper, or those with one role.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn files(&self, ctx: &Context<'_>, role: Option<FileRole>) -> Result<Vec<File>> {
        owned_files(ctx, self.meta.id, role).await
    }
}

council_object! {
    Consultation(ConsultationFields, ConsultationStored) {
        input: ConsultationInput,
        patch: ConsultationPatch,
        fields {
            paper_id: Uuid,
            organization_id: Uuid,
            meeting_id: Option<Uuid>,
            agenda_item_id: Option<Uuid>,
            /// Vorberatung, Entscheidung, Kenntnisnahme, Anhörung.
            role: ConsultationRole,
            /// The decision is taken here (beschließend).
            authoritative: bool,
            /// Place in the paper's Beratungsfolge, from 1.
            position: i32,
            consultation_state: ConsultationState,
        }
        assigned {}
    }
}

/// One step of a paper's Beratungsfolge: a committee deals with the paper, usually at a
/// meeting under an agenda item (Beratung).
#[Object]
impl Consultation {
    #[graphql(flatten)]
    async fn stored(&self) -> &ConsultationStored {
        &self.0
    }

    async fn paper(&self, ctx: &Context<'_>) -> Result<Option<Paper>> {
        council(ctx)?.one(self.fields.paper_id).await
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        council(ctx)?.one(self.fields.organization_id).await
    }

    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        council(ctx)?.opt(self.fields.meeting_id).await
    }

    async fn agenda_item(&self, ctx: &Context<'_>) -> Result<Option<AgendaItem>> {
        council(ctx)?.opt(self.fields.agenda_item_id).await
    }
}

council_object! {
    File(FileFields, FileStored) {
        input: FileInput,
        patch: FilePatch,
        fields {
            /// Display name without extension.
            name: String,
            /// e.g. "Vorlage_26-0042.pdf".
            file_name: String,
            mime_type: String,
            size_bytes: i64,
            /// Hex SHA-512 of the bytes (OParl `sha512Checksum`).
            sha512: Option<String>,
            owner_kind: FileOwner,
            owner_id: Uuid,
            file_role: model::FileRole,
            /// Öffentlich.
            public: bool,
            file_date: Option<NaiveDate>,
            /// Key of the stored bytes in the documents service.
            storage_key: Option<String>,
        }
        assigned {}
    }
}

/// A document of a meeting, agenda item or paper (Datei, Anlage). Its bytes live in the
/// documents service.
#[Object]
impl File {
    #[graphql(flatten)]
    async fn stored(&self) -> &FileStored {
        &self.0
    }

    /// Size in bytes (OParl `size`; the same as `sizeBytes`).
    async fn size(&self) -> i64 {
        self.fields.size_bytes
    }

    /// The owning meeting, if a meeting owns it.
    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        self.owner(ctx, FileOwner::Meeting).await
    }

    /// The owning agenda item, if an agenda item owns it.
    async fn agenda_item(&self, ctx: &Context<'_>) -> Result<Option<AgendaItem>> {
        self.owner(ctx, FileOwner::AgendaItem).await
    }

    /// The owning paper, if a paper owns it.
    async fn paper(&self, ctx: &Context<'_>) -> Result<Option<Paper>> {
        self.owner(ctx, FileOwner::Paper).await
    }

    /// Where the bytes are shown in the browser (OParl `accessUrl`); sign-in applies.
    async fn access_url(&self, ctx: &Context<'_>) -> Result<String> {
        file_bytes::access_url(ctx, self.meta.id)
    }

    /// Where the bytes are downloaded (OParl `downloadUrl`); sign-in applies.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<String> {
        file_bytes::download_url(ctx, self.meta.id)
    }

    /// Every stored version, oldest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<file_bytes::FileVersion>> {
        file_bytes::versions(ctx, self.meta.id).await
    }

    /// The text extracted from the current version.
    async fn text(&self, ctx: &Context<'_>) -> Result<Option<file_bytes::FileText>> {
        file_bytes::text(ctx, self.meta.id).await
    }

    /// A short-lived link that works without sign-in (for browsers and mail clients).
    async fn link(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] attachment: bool,
    ) -> Result<file_bytes::FileLink> {
        file_bytes::link(ctx, self.meta.id, attachment).await
    }
}

impl File {
    async fn owner<T: Node>(&self, ctx: &Context<'_>, kind: FileOwner) -> Result<Option<T>> {
        if self.fields.owner_kind != kind {
            return Ok(None);
        }
        council(ctx)?.one(self.fields.owner_id).await
    }
}
