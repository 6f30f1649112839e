//! The visibility rule as *access tags*, for stores that cannot run our SQL: the search index.
//!
//! Each indexed object carries the tags of every audience that may see it ([`tags_sql`],
//! computed in the tenant's database next to the SQL of [`rules`](crate::rules)); a viewer
//! holds the tags of the audiences it belongs to ([`Viewer::search_tags`]). An object is shown
//! to a viewer exactly when the two sets meet, so the index filter, not the caller, decides.
//! A test compares both forms of the rule over a fixture world for every kind of viewer.
//!
//! Tags:
//! - `public`: everyone;
//! - `staff`: staff roles (and authors, who are staff);
//! - `members`: every council member, when the tenant lets all members see non-public parts;
//! - `c:<committee id>`: current members (and substitutes) of that committee;
//! - `d:<department id>`: authors of that department.
//!
//! Plenum itself and clerks see everything: no filter applies to them.

use crate::{Resource, Viewer};
use uuid::Uuid;

pub const PUBLIC: &str = "public";
pub const STAFF: &str = "staff";
pub const MEMBERS: &str = "members";

pub fn committee(id: Uuid) -> String {
    format!("c:{id}")
}

pub fn department(id: Uuid) -> String {
    format!("d:{id}")
}

impl Viewer {
    /// The tags of the audiences this viewer belongs to; `None` when it sees everything.
    pub fn search_tags(&self) -> Option<Vec<String>> {
        if self.all {
            return None;
        }
        let mut tags = vec![PUBLIC.to_owned()];
        if self.staff {
            tags.push(STAFF.to_owned());
        }
        // Mirrors `Rules::member_meeting`: committee rights come with a Person.
        if self.person.is_some() {
            if self.all_meetings {
                tags.push(MEMBERS.to_owned());
            }
            tags.extend(self.committees.iter().copied().map(committee));
        }
        tags.extend(self.departments.iter().copied().map(department));
        Some(tags)
    }
}

/// The members' tags of a meeting `m` once its invitation is out: its committees, and the
/// members of all committees (tenant setting).
fn member_tags(m: &str) -> String {
    format!(
        "(CASE WHEN {m}.state IN ('invited', 'held') THEN \
           ARRAY['{MEMBERS}'] || ARRAY(SELECT 'c:' || o FROM unnest({m}.organization_ids) o) \
         ELSE '{{}}'::text[] END)"
    )
}

/// The members' tags of a released paper `p`: those of every invited meeting it is consulted in
/// (directly or through an agenda item).
fn paper_member_tags(p: &str) -> String {
    format!(
        "(CASE WHEN {p}.release_state = 'released' THEN ARRAY(SELECT DISTINCT tpt.tag FROM \
           consultation tpc JOIN meeting tpm ON tpm.id = coalesce(tpc.meeting_id, \
             (SELECT tpi.meeting_id FROM agenda_item tpi WHERE tpi.id = tpc.agenda_item_id)) \
           CROSS JOIN LATERAL unnest({}) AS tpt (tag) \
           WHERE tpc.paper_id = {p}.id AND NOT tpc.deleted) \
         ELSE '{{}}'::text[] END)",
        member_tags("tpm")
    )
}

/// The tags of a paper `p` that do not depend on its files.
fn paper_tags(p: &str) -> String {
    format!(
        "(array_remove(ARRAY[ \
           CASE WHEN {p}.release_state <> 'draft' THEN '{STAFF}' END, \
           CASE WHEN {p}.release_state = 'released' AND {p}.public THEN '{PUBLIC}' END, \
           'd:' || {p}.department_id], NULL) || {})",
        paper_member_tags(p)
    )
}

/// An SQL expression (`text[]`) with the access tags of the row `alias` of `resource`, for the
/// kinds the search index holds; `None` for the others.
pub fn tags_sql(resource: Resource, alias: &str) -> Option<String> {
    let a = alias;
    Some(match resource {
        // Visible to every viewer (see `rules::condition`).
        Resource::Meeting | Resource::Person | Resource::Organization => {
            format!("ARRAY['{PUBLIC}']")
        }
        Resource::Paper => paper_tags(a),
        Resource::AgendaItem => format!(
            "(ARRAY['{STAFF}'] || coalesce((SELECT array_remove(ARRAY[CASE WHEN \
               tam.state IN ('invited', 'held') AND {a}.public THEN '{PUBLIC}' END], NULL) \
               || {} FROM meeting tam WHERE tam.id = {a}.meeting_id), '{{}}'::text[]))",
            member_tags("tam")
        ),
        // A file: its owner's staff and department tags; `public` when the owner is public and
        // the file too (minutes once approved); the members of its owner's meetings.
        Resource::File => format!(
            "(CASE {a}.owner_kind \
               WHEN 'paper' THEN coalesce((SELECT array_remove(ARRAY[ \
                   CASE WHEN tfp.release_state <> 'draft' THEN '{STAFF}' END, \
                   CASE WHEN tfp.release_state = 'released' AND tfp.public AND {a}.public \
                     THEN '{PUBLIC}' END, \
                   'd:' || tfp.department_id], NULL) || {} \
                 FROM paper tfp WHERE tfp.id = {a}.owner_id), '{{}}'::text[]) \
               WHEN 'agenda_item' THEN coalesce((SELECT array_remove(ARRAY['{STAFF}', \
                   CASE WHEN tfm.state IN ('invited', 'held') AND tfi.public AND {a}.public \
                     THEN '{PUBLIC}' END], NULL) || {} \
                 FROM agenda_item tfi JOIN meeting tfm ON tfm.id = tfi.meeting_id \
                 WHERE tfi.id = {a}.owner_id), '{{}}'::text[]) \
               WHEN 'meeting' THEN coalesce((SELECT array_remove(ARRAY['{STAFF}', \
                   CASE WHEN tfg.state IN ('invited', 'held') AND {a}.public AND \
                     ({a}.file_role NOT IN ('results_protocol', 'verbatim_protocol') \
                      OR tfg.minutes_state = 'approved') THEN '{PUBLIC}' END], NULL) || {} \
                 FROM meeting tfg WHERE tfg.id = {a}.owner_id), '{{}}'::text[]) \
               ELSE '{{}}'::text[] END)",
            paper_member_tags("tfp"),
            member_tags("tfm"),
            member_tags("tfg"),
        ),
        Resource::LegislativeTerm
        | Resource::Membership
        | Resource::Location
        | Resource::Consultation => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_hold_the_tags_of_their_audiences() {
        let mut v = Viewer::public(Uuid::nil());
        assert_eq!(v.search_tags(), Some(vec![PUBLIC.to_owned()]));
        let committee_id = Uuid::new_v4();
        v.committees = vec![committee_id];
        // Committee rights come with a Person only, as in the SQL rule.
        assert_eq!(v.search_tags(), Some(vec![PUBLIC.to_owned()]));
        v.person = Some(Uuid::new_v4());
        v.all_meetings = true;
        assert_eq!(
            v.search_tags(),
            Some(vec![
                PUBLIC.to_owned(),
                MEMBERS.to_owned(),
                committee(committee_id)
            ])
        );
        v.all = true;
        assert_eq!(v.search_tags(), None);
    }

    #[test]
    fn every_indexed_kind_has_tags() {
        for r in [
            Resource::Paper,
            Resource::AgendaItem,
            Resource::Meeting,
            Resource::Person,
            Resource::Organization,
            Resource::File,
        ] {
            assert!(tags_sql(r, "x").is_some(), "{r:?}");
        }
        assert!(tags_sql(Resource::Consultation, "x").is_none());
    }
}
