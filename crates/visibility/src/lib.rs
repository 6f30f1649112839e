//! The visibility rule (BRIEF §3) and the permission matrix: who may see and do what inside a
//! tenant. Every read of council data goes through a [`Viewer`]; every write through
//! [`permissions::allowed`].
//!
//! A `Viewer` can only be made by [`Viewer::resolve`] inside a tenant transaction, from an
//! [`Identity`] that a verifier produced (a bearer token, a portal session, the internal token
//! between services). There is no constructor that takes roles or committees from a caller:
//! a resolver or template cannot widen what it sees. An identity of another tenant resolves
//! to the public view.
//!
//! The rule is expressed as SQL conditions over the tenant's tables, so that lists, counts,
//! cursors and lookups by id all leave out the same rows (no total or error betrays a hidden
//! object).

pub mod permissions;
mod rules;
pub mod tags;

pub use permissions::{Operation, allowed};

use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::{Identity, PrincipalKind, TenantRole};
use plenum_tenancy::TenantTx;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

/// The kinds of council objects the rule speaks about (one table each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
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

/// The tenant setting that lets every council member see all non-public agenda items (some
/// German states' rules of procedure allow it); otherwise only the meeting's committees do.
pub const SETTING_NONPUBLIC_TO_ALL_MEMBERS: &str = "visibility.nonpublic_to_all_members";

/// What one caller may see in one tenant. Made only by [`Viewer::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    tenant: Uuid,
    /// Plenum itself and clerks (Sitzungsdienst): everything of the tenant.
    all: bool,
    /// Staff roles: non-public agenda items and papers once released, meetings before
    /// publication, contact data.
    staff: bool,
    /// A member's current committees (including substitute seats): the non-public parts of
    /// their meetings once invited.
    committees: Vec<Uuid>,
    /// Members see the non-public parts of every meeting (tenant setting).
    all_meetings: bool,
    /// An author's departments: their papers in every state.
    departments: Vec<Uuid>,
    /// The Person a member is.
    person: Option<Uuid>,
    /// Reads of non-public content are written to the access log (people, not Plenum).
    logged: bool,
}

impl Viewer {
    /// The view `identity` has of the tenant `tx` is open on. Looks up a member's Person and
    /// current committees and an author's departments in the tenant's data.
    pub async fn resolve(tx: &TenantTx, identity: &Identity) -> ServiceResult<Viewer> {
        let tenant = tx.scope().tenant_id();
        let mut viewer = Viewer::public(tenant);
        if identity.is_system() {
            viewer.all = true;
            return Ok(viewer);
        }
        if identity.kind() != PrincipalKind::User {
            return Ok(viewer);
        }
        let roles = identity.roles_in(tenant);
        viewer.logged = true;
        let has = |role| roles.contains(&role);
        viewer.all = has(TenantRole::Clerk);
        viewer.staff = viewer.all
            || has(TenantRole::Staff)
            || has(TenantRole::Author)
            || has(TenantRole::TenantAdmin);
        let author = has(TenantRole::Author) && !identity.departments().is_empty();
        let member = has(TenantRole::Member);
        if author || member {
            let facts = facts(tx, identity, author, member).await?;
            viewer.departments = facts.departments;
            viewer.person = facts.person;
            if viewer.person.is_some() {
                viewer.committees = facts.committees;
                viewer.all_meetings = facts.all_meetings;
            }
        }
        Ok(viewer)
    }

    /// The unrestricted view a service's own bookkeeping needs inside a write (renumbering an
    /// agenda, cascading a deletion). Never use it to answer a caller.
    pub fn for_bookkeeping(tx: &TenantTx) -> Viewer {
        Viewer {
            all: true,
            ..Viewer::public(tx.scope().tenant_id())
        }
    }

    fn public(tenant: Uuid) -> Viewer {
        Viewer {
            tenant,
            all: false,
            staff: false,
            committees: Vec::new(),
            all_meetings: false,
            departments: Vec::new(),
            person: None,
            logged: false,
        }
    }

    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    /// Sees everything of the tenant: no condition applies.
    pub fn sees_all(&self) -> bool {
        self.all
    }

    /// Sees what only staff see: contact data of persons, every location.
    pub fn is_staff(&self) -> bool {
        self.all || self.staff
    }

    /// Sees only what the public sees.
    pub fn is_public(&self) -> bool {
        !self.all
            && !self.staff
            && self.committees.is_empty()
            && !self.all_meetings
            && self.departments.is_empty()
    }

    /// The Person this viewer is, for members.
    pub fn person(&self) -> Option<Uuid> {
        self.person
    }

    /// A member's current committees (substitute seats included).
    pub fn committees(&self) -> &[Uuid] {
        &self.committees
    }

    /// An author's departments.
    pub fn departments(&self) -> &[Uuid] {
        &self.departments
    }

    /// Whether `department` is one of an author's own departments.
    pub fn in_own_department(&self, department: Option<Uuid>) -> bool {
        department.is_some_and(|d| self.departments.contains(&d))
    }

    /// Whether reads of non-public content by this viewer go to the access log.
    pub fn logs_reads(&self) -> bool {
        self.logged
    }

    /// The SQL condition rows of `resource` (alias `alias`) must meet, if any.
    pub fn condition(&self, resource: Resource, alias: &str) -> Option<String> {
        rules::condition(self, resource, alias)
    }
}

/// What the tenant's data says about a user: their departments (authors), their Person
/// and its current committees (members) and the tenant's member setting.
struct Facts {
    departments: Vec<Uuid>,
    person: Option<Uuid>,
    committees: Vec<Uuid>,
    all_meetings: bool,
}

/// One statement for every fact, because a viewer is resolved on each read.
async fn facts(
    tx: &TenantTx,
    identity: &Identity,
    author: bool,
    member: bool,
) -> ServiceResult<Facts> {
    let departments = if author { identity.departments() } else { &[] };
    let (person_id, email) = if member {
        (identity.person_id(), identity.email().map(str::to_owned))
    } else {
        (None, None)
    };
    let sql = "WITH p AS (SELECT id FROM person WHERE NOT deleted AND \
                 CASE WHEN $1::uuid IS NOT NULL THEN id = $1::uuid \
                      ELSE $2::text IS NOT NULL AND lower(email) = lower($2::text) END \
                 ORDER BY created_at LIMIT 1) \
               SELECT (SELECT id FROM p) AS person, \
                 to_jsonb(ARRAY(SELECT DISTINCT organization_id FROM membership \
                   WHERE person_id = (SELECT id FROM p) AND NOT deleted \
                   AND (start_date IS NULL OR start_date <= $3) \
                   AND (end_date IS NULL OR end_date >= $3)))::text AS committees, \
                 coalesce((SELECT value = 'true' FROM settings WHERE key = $4), false) \
                   AS all_meetings, \
                 to_jsonb(ARRAY(SELECT id FROM organization WHERE code IN \
                   (SELECT jsonb_array_elements_text($5::text::jsonb)) \
                   AND organization_kind = 'department' AND NOT deleted))::text AS departments";
    let values: Vec<plenum_tenancy::sea_orm::Value> = vec![
        person_id.into(),
        email.into(),
        chrono::Utc::now().date_naive().into(),
        SETTING_NONPUBLIC_TO_ALL_MEMBERS.into(),
        serde_json::json!(departments).to_string().into(),
    ];
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::internal("the viewer facts query returned no row"))?;
    let ids = |column: &str| -> ServiceResult<Vec<Uuid>> {
        let text: String = row.try_get("", column).map_err(ServiceError::internal)?;
        serde_json::from_str(&text).map_err(ServiceError::internal)
    };
    Ok(Facts {
        departments: ids("departments")?,
        person: row.try_get("", "person").map_err(ServiceError::internal)?,
        committees: ids("committees")?,
        all_meetings: row
            .try_get("", "all_meetings")
            .map_err(ServiceError::internal)?,
    })
}
