//! The permission matrix: which role may perform which operation in a tenant. The same table
//! is documented in `docs/permissions.md`, and a test holds the two together.
//!
//! Reading is not in this matrix but in the visibility rule ([`crate::Viewer`]); the read rows
//! here say which roles get more than the public view, for the documentation and the tests.

use plenum_identity::{Identity, PrincipalKind, TenantRole};
use uuid::Uuid;

/// Who holds a permission: a caller without sign-in, a tenant role, or the platform operator
/// (which includes Plenum's own jobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Anonymous,
    Role(TenantRole),
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Published meetings, public agenda items, released public papers, public files.
    ReadPublic,
    /// Non-public agenda items and their papers and files (members: of their committees).
    ReadNonPublic,
    /// Papers before release (authors: of their departments).
    ReadUnreleased,
    /// Persons' contact data.
    ReadContactData,
    /// Create, change, delete papers (authors: of their departments).
    WritePaper,
    /// Plan a paper's Beratungsfolge (authors: of their departments' papers).
    WriteConsultation,
    /// Meetings and agenda items.
    WriteMeeting,
    /// Files of papers (authors), meetings and agenda items (clerks).
    WriteFile,
    /// Organizations, persons, memberships, legislative terms, locations, paper templates.
    WriteMasterData,
    /// Give a statement on, co-sign or sign off a paper (only for one's own departments).
    DecidePaperStep,
    /// Report progress on a decision's task (staff and authors: their departments' tasks).
    ReportTaskProgress,
    /// Tenant settings, including sign-in.
    ChangeSettings,
    /// The log of reads of non-public content.
    ReadAccessLog,
    /// Bulk imports with preset states (demo, OParl import).
    Import,
    /// Create, suspend, delete tenants.
    ManageTenants,
}

use Holder::{Anonymous, Operator, Role};
use TenantRole::{Author, Clerk, Member, Staff, TenantAdmin};

/// The matrix. An operation lists every holder allowed to perform it.
pub const MATRIX: &[(Operation, &[Holder])] = &[
    (
        Operation::ReadPublic,
        &[
            Anonymous,
            Role(Member),
            Role(Staff),
            Role(Author),
            Role(Clerk),
            Role(TenantAdmin),
            Operator,
        ],
    ),
    (
        Operation::ReadNonPublic,
        &[
            Role(Member),
            Role(Staff),
            Role(Author),
            Role(Clerk),
            Role(TenantAdmin),
            Operator,
        ],
    ),
    (
        Operation::ReadUnreleased,
        &[Role(Author), Role(Clerk), Operator],
    ),
    (
        Operation::ReadContactData,
        &[
            Role(Staff),
            Role(Author),
            Role(Clerk),
            Role(TenantAdmin),
            Operator,
        ],
    ),
    (
        Operation::WritePaper,
        &[Role(Author), Role(Clerk), Operator],
    ),
    (
        Operation::WriteConsultation,
        &[Role(Author), Role(Clerk), Operator],
    ),
    (Operation::WriteMeeting, &[Role(Clerk), Operator]),
    (Operation::WriteFile, &[Role(Author), Role(Clerk), Operator]),
    (
        Operation::WriteMasterData,
        &[Role(Clerk), Role(TenantAdmin), Operator],
    ),
    (
        Operation::DecidePaperStep,
        &[Role(Staff), Role(Author), Role(Clerk), Operator],
    ),
    (
        Operation::ReportTaskProgress,
        &[Role(Staff), Role(Author), Role(Clerk), Operator],
    ),
    (Operation::ChangeSettings, &[Role(TenantAdmin), Operator]),
    (Operation::ReadAccessLog, &[Role(TenantAdmin), Operator]),
    (Operation::Import, &[Operator]),
    (Operation::ManageTenants, &[Operator]),
];

/// Operations an author may only perform on their own departments' papers.
pub fn limited_to_own_department(op: Operation) -> bool {
    matches!(
        op,
        Operation::WritePaper | Operation::WriteConsultation | Operation::WriteFile
    )
}

fn holders(op: Operation) -> &'static [Holder] {
    MATRIX
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, h)| *h)
        .unwrap_or(&[])
}

/// Whether `identity` may perform `op` in `tenant` by role (an author's department limit is
/// checked where the paper is known, see [`limited_to_own_department`]).
pub fn allowed(identity: &Identity, tenant: Uuid, op: Operation) -> bool {
    let holders = holders(op);
    if identity.is_system() {
        return holders.contains(&Operator);
    }
    if holders.contains(&Anonymous) {
        return true;
    }
    if identity.kind() != PrincipalKind::User {
        return false;
    }
    identity
        .roles_in(tenant)
        .iter()
        .any(|role| holders.contains(&Role(*role)))
}

/// Whether the only role that grants `op` to `identity` is author (so the department limit
/// applies).
pub fn only_as_author(identity: &Identity, tenant: Uuid, op: Operation) -> bool {
    if identity.is_system() {
        return false;
    }
    let holders = holders(op);
    let roles = identity.roles_in(tenant);
    roles.contains(&Author)
        && !roles
            .iter()
            .any(|r| *r != Author && holders.contains(&Role(*r)))
}

/// Whether `identity` may perform `op` only for its own departments (a step or task of
/// another department is refused). Unlike [`only_as_author`], this binds every role that is
/// "own" in the matrix: a clerk does not sign for the treasury.
pub fn only_for_own_departments(identity: &Identity, tenant: Uuid, op: Operation) -> bool {
    if identity.is_system() {
        return false;
    }
    match op {
        Operation::DecidePaperStep => true,
        Operation::ReportTaskProgress => !identity.roles_in(tenant).contains(&Clerk),
        // Authors read unreleased papers of their departments only (the visibility rule).
        _ => {
            (limited_to_own_department(op) || op == Operation::ReadUnreleased)
                && only_as_author(identity, tenant, op)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_identity::OidcTenantConfig;

    fn user(tenant: Uuid, role: &str) -> Identity {
        let config =
            OidcTenantConfig::parse(r#"{"issuer":"https://id.example/r","client_id":"plenum"}"#)
                .unwrap();
        let claims = serde_json::json!({ "sub": role, "realm_access": { "roles": [role] } });
        Identity::verified_user(tenant, &claims, &config)
    }

    fn operation(name: &str) -> Operation {
        let all = MATRIX.iter().map(|(o, _)| *o);
        all.clone()
            .find(|o| format!("{o:?}") == name)
            .unwrap_or_else(|| panic!("docs/permissions.md names an unknown operation {name}"))
    }

    /// The documented table and the code agree, cell by cell.
    #[test]
    fn docs_permissions_md_is_the_matrix() {
        let doc = include_str!("../../../docs/permissions.md");
        let tenant = Uuid::new_v4();
        let mut rows = 0;
        let mut header: Vec<String> = Vec::new();
        for line in doc.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect();
            if header.is_empty() {
                header = cells;
                continue;
            }
            if cells[0].starts_with('-') {
                continue;
            }
            let op = operation(&cells[0]);
            rows += 1;
            for (column, cell) in header.iter().zip(&cells).skip(1).take(7) {
                let expected = match cell.as_str() {
                    "✓" | "own" => true,
                    "–" => false,
                    other => panic!("unknown cell {other:?} in row {}", cells[0]),
                };
                let identity = match column.as_str() {
                    "anonymous" => Identity::anonymous(),
                    "operator" => Identity::operator_service("test"),
                    role => user(tenant, role),
                };
                assert_eq!(
                    allowed(&identity, tenant, op),
                    expected,
                    "{column} × {op:?} differs between docs/permissions.md and the code"
                );
                if cell == "own" {
                    assert!(
                        only_for_own_departments(&identity, tenant, op) || column == "member",
                        "{column} × {op:?} is `own` in docs/permissions.md but not in the code"
                    );
                } else if expected && column != "operator" {
                    assert!(
                        !only_for_own_departments(&identity, tenant, op),
                        "{column} × {op:?} is ✓ in docs/permissions.md but limited in the code"
                    );
                }
                // No role carries over to another tenant.
                if column != "anonymous" && column != "operator" {
                    let elsewhere = allowed(&identity, Uuid::new_v4(), op);
                    assert_eq!(elsewhere, allowed(&Identity::anonymous(), tenant, op));
                }
            }
        }
        assert_eq!(rows, MATRIX.len(), "every operation is documented");
    }
}
