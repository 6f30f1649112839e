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
        if has(TenantRole::Author) && !identity.departments().is_empty() {
            viewer.departments = uuids(
                tx,
                "SELECT id FROM organization WHERE code IN \
                 (SELECT jsonb_array_elements_text($1::text::jsonb)) \
                 AND organization_kind = 'department' AND NOT deleted",
                vec![serde_json::json!(identity.departments()).to_string().into()],
            )
            .await?;
        }
        if has(TenantRole::Member) {
            viewer.person = person_of(tx, identity).await?;
            if let Some(person) = viewer.person {
                let today = chrono::Utc::now().date_naive();
                viewer.committees = uuids(
                    tx,
                    "SELECT DISTINCT organization_id FROM membership WHERE person_id = $1 \
                     AND NOT deleted AND (start_date IS NULL OR start_date <= $2) \
                     AND (end_date IS NULL OR end_date >= $2)",
                    vec![person.into(), today.into()],
                )
                .await?;
                viewer.all_meetings = setting_is_true(tx, SETTING_NONPUBLIC_TO_ALL_MEMBERS).await?;
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

async fn uuids(
    tx: &TenantTx,
    sql: &str,
    values: Vec<plenum_tenancy::sea_orm::Value>,
) -> ServiceResult<Vec<Uuid>> {
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(ServiceError::internal)?;
    rows.iter()
        .map(|row| {
            row.try_get::<Uuid>("", "id")
                .or_else(|_| row.try_get("", "organization_id"))
        })
        .collect::<Result<_, _>>()
        .map_err(ServiceError::internal)
}

/// The member's Person: named by a claim, or found by e-mail address.
async fn person_of(tx: &TenantTx, identity: &Identity) -> ServiceResult<Option<Uuid>> {
    let (sql, value): (&str, plenum_tenancy::sea_orm::Value) =
        match (identity.person_id(), identity.email()) {
            (Some(id), _) => (
                "SELECT id FROM person WHERE id = $1 AND NOT deleted",
                id.into(),
            ),
            (None, Some(email)) => (
                "SELECT id FROM person WHERE lower(email) = lower($1) AND NOT deleted \
             ORDER BY created_at LIMIT 1",
                email.to_owned().into(),
            ),
            (None, None) => return Ok(None),
        };
    Ok(uuids(tx, sql, vec![value]).await?.into_iter().next())
}

async fn setting_is_true(tx: &TenantTx, key: &str) -> ServiceResult<bool> {
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT value FROM settings WHERE key = $1",
            [key.into()],
        ))
        .await
        .map_err(ServiceError::internal)?;
    Ok(match row {
        Some(row) => {
            row.try_get::<String>("", "value")
                .map_err(ServiceError::internal)?
                == "true"
        }
        None => false,
    })
}
