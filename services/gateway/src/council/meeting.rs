//! Meetings and their agendas: Sitzungen, Tagesordnungspunkte, Abstimmungen.

use super::body::{Location, Organization, Person};
use super::enums::{FileRole, VoteChoice};
use super::kind::council_object;
use super::paper::{Consultation, File, Paper, owned_file, owned_files};
use super::{council, list_complexity};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use plenum_tenants::council::Relation;
use plenum_tenants::council::model::{self, AgendaResult, MeetingState, MinutesState};
use uuid::Uuid;

council_object! {
    Meeting(MeetingFields, MeetingStored) {
        input: MeetingInput,
        patch: MeetingPatch,
        fields {
            /// e.g. "12. Sitzung des Bauausschusses".
            name: String,
            /// The organizations that meet: the lead committee (federführend) first.
            organization_ids: Vec<Uuid>,
            /// Beginn (OParl `start`).
            start_at: DateTime<Utc>,
            /// Ende (OParl `end`).
            end_at: Option<DateTime<Utc>>,
            location_id: Option<Uuid>,
            /// Persons actually present (Anwesende).
            participant_ids: Vec<Uuid>,
        }
        assigned {
            /// Sitzungsnummer from the tenant's numbering pattern, e.g. "BA/2026/12";
            /// assigned on create.
            number: String,
            /// Sitzungsstatus; changes only through the Sitzungsdienst workflow.
            state: MeetingState,
            /// State of the minutes (Niederschrift); changes only through the workflow.
            minutes_state: MinutesState,
        }
    }
}

/// A meeting of one or more organizations (Sitzung).
#[Object]
impl Meeting {
    #[graphql(flatten)]
    async fn stored(&self) -> &MeetingStored {
        &self.0
    }

    /// Abgesagt (OParl `cancelled`).
    async fn cancelled(&self) -> bool {
        self.state == MeetingState::Cancelled
    }

    /// The organizations that meet, the lead committee first.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        council(ctx)?.many(&self.fields.organization_ids).await
    }

    /// The lead committee (federführendes Gremium).
    async fn lead_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let lead = self.fields.organization_ids.first().copied();
        council(ctx)?.opt(lead).await
    }

    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        council(ctx)?.opt(self.fields.location_id).await
    }

    /// Persons actually present (Anwesende).
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        council(ctx)?.many(&self.fields.participant_ids).await
    }

    /// The agenda (Tagesordnung) in order.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn agenda_items(&self, ctx: &Context<'_>) -> Result<Vec<AgendaItem>> {
        council(ctx)?
            .children_of(Relation::MeetingAgenda, self.meta.id)
            .await
    }

    /// Einladung.
    async fn invitation(&self, ctx: &Context<'_>) -> Result<Option<File>> {
        owned_file(ctx, self.meta.id, FileRole::Invitation).await
    }

    /// Ergebnisprotokoll (Niederschrift).
    async fn results_protocol(&self, ctx: &Context<'_>) -> Result<Option<File>> {
        owned_file(ctx, self.meta.id, FileRole::ResultsProtocol).await
    }

    /// Wortprotokoll.
    async fn verbatim_protocol(&self, ctx: &Context<'_>) -> Result<Option<File>> {
        owned_file(ctx, self.meta.id, FileRole::VerbatimProtocol).await
    }

    /// Further files: all but the invitation and the protocols (OParl
    /// `auxiliaryFile`).
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn auxiliary_files(&self, ctx: &Context<'_>) -> Result<Vec<File>> {
        let files = owned_files(ctx, self.meta.id, None).await?;
        Ok(files
            .into_iter()
            .filter(|f| {
                !matches!(
                    f.fields.file_role,
                    model::FileRole::Invitation
                        | model::FileRole::ResultsProtocol
                        | model::FileRole::VerbatimProtocol
                )
            })
            .collect())
    }

    /// All files of the meeting, or those with one role.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn files(&self, ctx: &Context<'_>, role: Option<FileRole>) -> Result<Vec<File>> {
        owned_files(ctx, self.meta.id, role).await
    }
}

council_object! {
    AgendaItem(AgendaItemFields, AgendaItemStored) {
        input: AgendaItemInput,
        patch: AgendaItemPatch,
        fields {
            meeting_id: Uuid,
            /// Sort key within the meeting; `itemOrder` and `number` follow from it.
            position: i32,
            /// A sub-item ("Ö 3.1") of the preceding main item.
            sub_item: bool,
            /// Betreff.
            title: String,
            /// Öffentlich: in the Ö part of the agenda, else in the N part.
            public: bool,
            /// The paper's consultation this item deals with (Beratung).
            consultation_id: Option<Uuid>,
            /// Beschlussergebnis.
            result: Option<AgendaResult>,
            /// Beschlusstext.
            resolution_text: Option<String>,
            /// Ja-Stimmen.
            votes_yes: Option<i32>,
            /// Nein-Stimmen.
            votes_no: Option<i32>,
            /// Enthaltungen.
            votes_abstain: Option<i32>,
            /// Votes per member (namentliche Abstimmung).
            member_votes: Vec<model::MemberVote>,
            /// Persons who did not take part because of a conflict of interest
            /// (Befangenheit).
            recusal_ids: Vec<Uuid>,
            start_at: Option<DateTime<Utc>>,
            end_at: Option<DateTime<Utc>>,
        }
        assigned {
            /// 0-based index in the meeting's agenda (OParl `order`).
            item_order: i32,
            /// TOP number, "Ö 3", "N 1.2": derived from the public flag and the position.
            number: String,
        }
    }
}

/// An item on a meeting's agenda (Tagesordnungspunkt, TOP), public (Ö) or not (N).
#[Object]
impl AgendaItem {
    #[graphql(flatten)]
    async fn stored(&self) -> &AgendaItemStored {
        &self.0
    }

    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        council(ctx)?.one(self.fields.meeting_id).await
    }

    /// The paper's consultation this item deals with (Beratung).
    async fn consultation(&self, ctx: &Context<'_>) -> Result<Option<Consultation>> {
        council(ctx)?.opt(self.fields.consultation_id).await
    }

    /// The paper dealt with (Vorlage), through the consultation.
    async fn paper(&self, ctx: &Context<'_>) -> Result<Option<Paper>> {
        let council = council(ctx)?;
        let consultation: Option<Consultation> = council.opt(self.fields.consultation_id).await?;
        match consultation {
            Some(c) => council.one(c.fields.paper_id).await,
            None => Ok(None),
        }
    }

    /// Persons who did not take part because of a conflict of interest
    /// (Befangenheit).
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn recusals(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        council(ctx)?.many(&self.fields.recusal_ids).await
    }

    /// Beschluss (OParl `resolutionFile`).
    async fn resolution_file(&self, ctx: &Context<'_>) -> Result<Option<File>> {
        owned_file(ctx, self.meta.id, FileRole::Resolution).await
    }

    /// All files of the item, or those with one role.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn files(&self, ctx: &Context<'_>, role: Option<FileRole>) -> Result<Vec<File>> {
        owned_files(ctx, self.meta.id, role).await
    }
}

/// One member's vote on an agenda item (namentliche Abstimmung).
pub struct MemberVote(pub(crate) model::MemberVote);

/// One member's vote on an agenda item (namentliche Abstimmung).
#[Object]
impl MemberVote {
    async fn person_id(&self) -> ID {
        ID(self.0.person_id.to_string())
    }

    /// The member who voted.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        council(ctx)?.one(self.0.person_id).await
    }

    async fn vote(&self) -> VoteChoice {
        self.0.vote.into()
    }
}
