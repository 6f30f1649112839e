//! The council domain as the tenants service stores it and every other role sees it.
//!
//! Each kind has three parts: [`Meta`] (id, timestamps, tombstone flag; set by the service),
//! `…Fields` (what create and update mutations may set) and, where there are any, the
//! server-assigned values (numbers, references) and the state fields with legal weight, which
//! only workflow operations change. Serde names are the column names of the kind's table: the
//! store reads rows with `to_jsonb` and writes them with `jsonb_populate_record`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Identity and lifecycle of every stored object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Bumped on every change, including deletion (OParl clients sync on it).
    pub modified_at: DateTime<Utc>,
    /// Deleted objects stay as tombstones so that OParl clients learn of the deletion.
    pub deleted: bool,
}

/// The kinds of council objects; the names are the table names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    LegislativeTerm,
    Organization,
    Person,
    Membership,
    Location,
    Meeting,
    AgendaItem,
    Paper,
    Consultation,
    File,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::LegislativeTerm,
        Kind::Organization,
        Kind::Person,
        Kind::Membership,
        Kind::Location,
        Kind::Meeting,
        Kind::AgendaItem,
        Kind::Paper,
        Kind::Consultation,
        Kind::File,
    ];

    /// Table name in the tenant schema, also the `object_kind` of events and audit rows.
    pub fn table(self) -> &'static str {
        match self {
            Kind::LegislativeTerm => "legislative_term",
            Kind::Organization => "organization",
            Kind::Person => "person",
            Kind::Membership => "membership",
            Kind::Location => "location",
            Kind::Meeting => "meeting",
            Kind::AgendaItem => "agenda_item",
            Kind::Paper => "paper",
            Kind::Consultation => "consultation",
            Kind::File => "file",
        }
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and serialised) form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

text_enum!(
    /// What an organization is (OParl `organizationType`).
    OrganizationKind {
        Committee = "committee",
        Faction = "faction",
        Party = "party",
        Department = "department",
        ExternalBody = "external_body",
        Other = "other",
    }
);

text_enum!(
    Gender {
        Female = "female",
        Male = "male",
        Other = "other",
    }
);

text_enum!(
    /// A person's role in an organization.
    MembershipRole {
        Chair = "chair",
        DeputyChair = "deputy_chair",
        Member = "member",
        Substitute = "substitute",
        AdvisoryMember = "advisory_member",
        CitizenMember = "citizen_member",
    }
);

text_enum!(
    /// A meeting's state; changes only through the Sitzungsdienst workflow.
    MeetingState {
        Planned = "planned",
        Invited = "invited",
        Held = "held",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// The state of a meeting's minutes; changes only through the workflow.
    MinutesState {
        None = "none",
        Draft = "draft",
        Approved = "approved",
    }
);

text_enum!(
    /// What a committee decided on an agenda item.
    AgendaResult {
        Approved = "approved",
        ApprovedAmended = "approved_amended",
        Rejected = "rejected",
        Deferred = "deferred",
        Noted = "noted",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    VoteChoice {
        Yes = "yes",
        No = "no",
        Abstain = "abstain",
    }
);

text_enum!(
    /// A paper's release; nothing reaches a portal before `released`. Workflow only.
    ReleaseState {
        Draft = "draft",
        Released = "released",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// What a committee does with a paper in its Beratungsfolge.
    ConsultationRole {
        Preliminary = "preliminary",
        Decision = "decision",
        Notice = "notice",
        Hearing = "hearing",
    }
);

text_enum!(
    ConsultationState {
        Planned = "planned",
        Scheduled = "scheduled",
        Done = "done",
        Deferred = "deferred",
    }
);

text_enum!(
    /// What a file is to the object that owns it.
    FileRole {
        Main = "main",
        Attachment = "attachment",
        Invitation = "invitation",
        ResultsProtocol = "results_protocol",
        VerbatimProtocol = "verbatim_protocol",
        Resolution = "resolution",
    }
);

text_enum!(
    /// The kinds of objects that own files.
    FileOwner {
        Meeting = "meeting",
        AgendaItem = "agenda_item",
        Paper = "paper",
    }
);

// ----- LegislativeTerm -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegislativeTermFields {
    pub name: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegislativeTerm {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: LegislativeTermFields,
}

// ----- Organization ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationFields {
    pub name: String,
    pub short_name: Option<String>,
    /// Kennzeichen, e.g. "BA"; used in meeting numbers. Unique among live organizations.
    pub code: Option<String>,
    pub organization_kind: OrganizationKind,
    /// OParl `classification`, e.g. "Parlament", "Ausschuss", "Beirat".
    pub classification: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub sort_order: i32,
    pub parent_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: OrganizationFields,
}

// ----- Person ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonFields {
    /// Academic title, e.g. "Dr.".
    pub title: Option<String>,
    pub given_name: Option<String>,
    pub family_name: String,
    /// "Frau", "Herr".
    pub form_of_address: Option<String>,
    /// Name affix, e.g. "von".
    pub affix: Option<String>,
    pub gender: Option<Gender>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// e.g. "Ratsmitglied", "sachkundiger Bürger".
    pub status: Option<String>,
    pub life: Option<String>,
    pub life_source: Option<String>,
    pub location_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: PersonFields,
}

impl PersonFields {
    /// The name as shown: "Dr. Anna von Berg".
    pub fn display_name(&self) -> String {
        [
            self.title.as_deref(),
            self.given_name.as_deref(),
            self.affix.as_deref(),
            Some(self.family_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }
}

// ----- Membership ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipFields {
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub role: MembershipRole,
    pub voting_right: bool,
    /// The faction the person represents in this organization.
    pub on_behalf_of_id: Option<Uuid>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: MembershipFields,
}

// ----- Location --------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationFields {
    pub description: Option<String>,
    pub street_address: Option<String>,
    pub room: Option<String>,
    pub postal_code: Option<String>,
    pub sub_locality: Option<String>,
    pub locality: Option<String>,
    pub capacity: Option<i32>,
    /// WGS84, GeoJSON order: longitude first.
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: LocationFields,
}

// ----- Meeting ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingFields {
    pub name: String,
    /// Lead committee first, then further organizations.
    pub organization_ids: Vec<Uuid>,
    pub start_at: DateTime<Utc>,
    pub end_at: Option<DateTime<Utc>>,
    pub location_id: Option<Uuid>,
    /// Persons actually present.
    pub participant_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: MeetingFields,
    /// From the tenant's `numbering.meeting` pattern, e.g. "BA/2026/12"; assigned on create.
    pub number: String,
    pub state: MeetingState,
    pub minutes_state: MinutesState,
}

// ----- AgendaItem ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberVote {
    pub person_id: Uuid,
    pub vote: VoteChoice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaItemFields {
    pub meeting_id: Uuid,
    /// Sort key within the meeting; the item's `order` and `number` follow from it.
    pub position: i32,
    /// A sub-item ("Ö 3.1") of the preceding main item.
    pub sub_item: bool,
    pub title: String,
    pub public: bool,
    pub consultation_id: Option<Uuid>,
    pub result: Option<AgendaResult>,
    pub resolution_text: Option<String>,
    pub votes_yes: Option<i32>,
    pub votes_no: Option<i32>,
    pub votes_abstain: Option<i32>,
    pub member_votes: Vec<MemberVote>,
    /// Persons who did not take part because of a conflict of interest (Befangenheit).
    pub recusal_ids: Vec<Uuid>,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaItem {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: AgendaItemFields,
    /// 0-based index in the meeting's agenda (OParl `order`).
    pub item_order: i32,
    /// "Ö 3", "N 1.2": derived from the public flag and the position.
    pub number: String,
}

// ----- Paper -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperFields {
    pub title: String,
    /// One of the tenant's `paper.types` (default: Beschlussvorlage, Mitteilungsvorlage, …).
    pub paper_type: String,
    pub paper_date: NaiveDate,
    /// Department in charge (federführend).
    pub department_id: Option<Uuid>,
    pub originator_person_ids: Vec<Uuid>,
    pub originator_organization_ids: Vec<Uuid>,
    pub body_text: Option<String>,
    pub related_paper_ids: Vec<Uuid>,
    pub public: bool,
    /// Set on create for a supplement ("26-0042/1"); never changes afterwards.
    pub main_paper_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: PaperFields,
    /// From the tenant's `numbering.paper` pattern, e.g. "26-0042", or "26-0042/1".
    pub reference: String,
    pub release_state: ReleaseState,
}

// ----- Consultation ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsultationFields {
    pub paper_id: Uuid,
    pub organization_id: Uuid,
    pub meeting_id: Option<Uuid>,
    pub agenda_item_id: Option<Uuid>,
    pub role: ConsultationRole,
    /// The decision is taken here.
    pub authoritative: bool,
    /// Place in the paper's Beratungsfolge, from 1.
    pub position: i32,
    pub consultation_state: ConsultationState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consultation {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: ConsultationFields,
}

// ----- File ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFields {
    /// Display name without extension.
    pub name: String,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
    /// Hex SHA-512 of the bytes (OParl `sha512Checksum`).
    pub sha512: Option<String>,
    pub owner_kind: FileOwner,
    pub owner_id: Uuid,
    pub file_role: FileRole,
    pub public: bool,
    pub file_date: Option<NaiveDate>,
    /// Key of the stored bytes; the documents service owns them.
    pub storage_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub fields: FileFields,
}

// ----- The closed sets -------------------------------------------------------------------

/// Any stored council object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "object", rename_all = "snake_case")]
pub enum Object {
    LegislativeTerm(LegislativeTerm),
    Organization(Organization),
    Person(Person),
    Membership(Membership),
    Location(Location),
    Meeting(Meeting),
    AgendaItem(AgendaItem),
    Paper(Paper),
    Consultation(Consultation),
    File(File),
}

/// The settable fields of a new object of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "fields", rename_all = "snake_case")]
pub enum NewObject {
    LegislativeTerm(LegislativeTermFields),
    Organization(OrganizationFields),
    Person(PersonFields),
    Membership(MembershipFields),
    Location(LocationFields),
    Meeting(MeetingFields),
    AgendaItem(AgendaItemFields),
    Paper(PaperFields),
    Consultation(ConsultationFields),
    File(FileFields),
}

macro_rules! object_dispatch {
    ($($variant:ident),+) => {
        impl Object {
            pub fn kind(&self) -> Kind {
                match self { $(Object::$variant(_) => Kind::$variant),+ }
            }
            pub fn meta(&self) -> &Meta {
                match self { $(Object::$variant(o) => &o.meta),+ }
            }
            pub fn meta_mut(&mut self) -> &mut Meta {
                match self { $(Object::$variant(o) => &mut o.meta),+ }
            }
        }

        impl Object {
            /// The row as the kind's table stores it (no kind tag).
            pub fn to_row(&self) -> serde_json::Value {
                let row = match self { $(Object::$variant(o) => serde_json::to_value(o)),+ };
                row.expect("council objects always serialise")
            }

            /// Reads a row of `kind`'s table.
            pub fn from_row(kind: Kind, row: serde_json::Value) -> Result<Object, serde_json::Error> {
                Ok(match kind { $(Kind::$variant => Object::$variant(serde_json::from_value(row)?)),+ })
            }
        }

        impl NewObject {
            /// The settable fields as a JSON object keyed by column name.
            pub fn to_fields(&self) -> serde_json::Value {
                let fields = match self { $(NewObject::$variant(f) => serde_json::to_value(f)),+ };
                fields.expect("council fields always serialise")
            }

            /// Reads the settable fields of `kind` from a JSON object keyed by column name.
            pub fn from_fields(kind: Kind, fields: serde_json::Value) -> Result<NewObject, serde_json::Error> {
                Ok(match kind { $(Kind::$variant => NewObject::$variant(serde_json::from_value(fields)?)),+ })
            }

            pub fn kind(&self) -> Kind {
                match self { $(NewObject::$variant(_) => Kind::$variant),+ }
            }
        }

        $(
            impl From<$variant> for Object {
                fn from(o: $variant) -> Object { Object::$variant(o) }
            }
            impl TryFrom<Object> for $variant {
                type Error = Object;
                fn try_from(o: Object) -> Result<$variant, Object> {
                    match o { Object::$variant(x) => Ok(x), other => Err(other) }
                }
            }
        )+
    };
}

object_dispatch!(
    LegislativeTerm,
    Organization,
    Person,
    Membership,
    Location,
    Meeting,
    AgendaItem,
    Paper,
    Consultation,
    File
);

impl Object {
    pub fn id(&self) -> Uuid {
        self.meta().id
    }
}
