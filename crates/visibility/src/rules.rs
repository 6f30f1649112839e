//! BRIEF §3 as SQL. Each function returns a boolean expression over a row alias; ids are
//! inlined as `uuid` literals (a `Uuid` prints only hex digits and hyphens, so nothing from a
//! caller reaches the SQL text).

use crate::{Resource, Viewer};
use uuid::Uuid;

/// Meetings whose invitation has gone out: their public agenda is public, and their members
/// see the non-public part.
const INVITED: &str = "('invited', 'held')";

fn uuid_list(ids: &[Uuid]) -> String {
    let inner: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    format!("ARRAY[{}]::uuid[]", inner.join(","))
}

struct Rules<'a>(&'a Viewer);

impl Rules<'_> {
    /// The meeting `m` is one whose non-public part this member may see.
    fn member_meeting(&self, m: &str) -> String {
        let v = self.0;
        if v.all_meetings && v.person.is_some() {
            "true".to_owned()
        } else if v.committees.is_empty() {
            "false".to_owned()
        } else {
            format!("{m}.organization_ids && {}", uuid_list(&v.committees))
        }
    }

    /// The paper `p` is discussed in a meeting of this member's committees that is invited.
    fn member_paper(&self, p: &str) -> String {
        let member = self.member_meeting("vmm");
        if member == "false" {
            return member;
        }
        format!(
            "EXISTS (SELECT 1 FROM consultation vmc JOIN meeting vmm ON vmm.id = \
             coalesce(vmc.meeting_id, (SELECT vmi.meeting_id FROM agenda_item vmi \
             WHERE vmi.id = vmc.agenda_item_id)) WHERE vmc.paper_id = {p}.id \
             AND NOT vmc.deleted AND vmm.state IN {INVITED} AND {member})"
        )
    }

    fn paper(&self, p: &str) -> String {
        let v = self.0;
        let mut any = Vec::new();
        if v.staff {
            // Staff see every paper once released (withdrawn ones stay on record).
            any.push(format!("{p}.release_state <> 'draft'"));
        } else {
            any.push(format!("({p}.release_state = 'released' AND {p}.public)"));
            let member = self.member_paper(p);
            if member != "false" {
                any.push(format!("({p}.release_state = 'released' AND {member})"));
            }
        }
        if !v.departments.is_empty() {
            any.push(format!(
                "{p}.department_id = ANY({})",
                uuid_list(&v.departments)
            ));
        }
        format!("({})", any.join(" OR "))
    }

    fn agenda_item(&self, a: &str) -> String {
        if self.0.staff {
            return "true".to_owned();
        }
        format!(
            "EXISTS (SELECT 1 FROM meeting vam WHERE vam.id = {a}.meeting_id \
             AND vam.state IN {INVITED} AND ({a}.public OR {}))",
            self.member_meeting("vam")
        )
    }

    fn meeting_scheduled_visible(&self, m: &str) -> String {
        if self.0.staff {
            "true".to_owned()
        } else {
            format!("{m}.state IN {INVITED}")
        }
    }

    fn consultation(&self, c: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM paper vcp WHERE vcp.id = {c}.paper_id AND {}) AND \
             ({c}.agenda_item_id IS NULL OR EXISTS (SELECT 1 FROM agenda_item vca \
              WHERE vca.id = {c}.agenda_item_id AND {})) AND \
             ({c}.meeting_id IS NULL OR EXISTS (SELECT 1 FROM meeting vcm \
              WHERE vcm.id = {c}.meeting_id AND {}))",
            self.paper("vcp"),
            self.agenda_item("vca"),
            self.meeting_scheduled_visible("vcm"),
        )
    }

    /// A file shows when its owner shows and it is public, or the viewer may see the
    /// non-public material of its owner; minutes only once approved, or to those who may see
    /// drafts (staff, the committee's members).
    fn file(&self, f: &str) -> String {
        let v = self.0;
        let staff = v.staff;
        let flag = |inner: String| {
            if staff {
                "true".to_owned()
            } else {
                format!("({f}.public OR {inner})")
            }
        };
        let paper_file = flag(self.member_paper("vfp"));
        let item_file = flag(self.member_meeting("vfm"));
        let meeting_file = flag(self.member_meeting("vfg"));
        let minutes = if staff {
            "true".to_owned()
        } else {
            format!(
                "({f}.file_role NOT IN ('results_protocol', 'verbatim_protocol') \
                 OR vfg.minutes_state = 'approved' OR {})",
                self.member_meeting("vfg")
            )
        };
        format!(
            "CASE {f}.owner_kind \
               WHEN 'paper' THEN EXISTS (SELECT 1 FROM paper vfp WHERE vfp.id = {f}.owner_id \
                    AND {} AND {paper_file}) \
               WHEN 'agenda_item' THEN EXISTS (SELECT 1 FROM agenda_item vfa \
                    JOIN meeting vfm ON vfm.id = vfa.meeting_id WHERE vfa.id = {f}.owner_id \
                    AND {} AND {item_file}) \
               WHEN 'meeting' THEN EXISTS (SELECT 1 FROM meeting vfg WHERE vfg.id = {f}.owner_id \
                    AND {} AND {meeting_file} AND {minutes}) \
               ELSE false END",
            self.paper("vfp"),
            self.agenda_item("vfa"),
            self.meeting_scheduled_visible("vfg"),
        )
    }
}

pub(crate) fn condition(viewer: &Viewer, resource: Resource, alias: &str) -> Option<String> {
    if viewer.all {
        return None;
    }
    let rules = Rules(viewer);
    match resource {
        Resource::Paper => Some(rules.paper(alias)),
        Resource::AgendaItem if viewer.staff => None,
        // A non-public item never shows to the public, not even its title; its number gap is
        // the only trace.
        Resource::AgendaItem => Some(rules.agenda_item(alias)),
        Resource::Consultation => Some(rules.consultation(alias)),
        Resource::File => Some(rules.file(alias)),
        Resource::Location if viewer.staff => None,
        // Rooms and buildings where bodies meet; a location only a person uses is their
        // address.
        Resource::Location => Some(format!(
            "(EXISTS (SELECT 1 FROM meeting vlm WHERE vlm.location_id = {alias}.id) OR \
              EXISTS (SELECT 1 FROM organization vlo WHERE vlo.location_id = {alias}.id))"
        )),
        // Meetings show from when they are scheduled (BRIEF §3: "usually when scheduled"); a
        // separate publication date comes with the Sitzungsdienst workflow.
        Resource::LegislativeTerm
        | Resource::Organization
        | Resource::Person
        | Resource::Membership
        | Resource::Meeting => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        Viewer::public(Uuid::nil())
    }

    #[test]
    fn the_public_sees_released_public_papers_only() {
        let sql = condition(&viewer(), Resource::Paper, "t").unwrap();
        assert_eq!(sql, "((t.release_state = 'released' AND t.public))");
    }

    #[test]
    fn plenum_and_clerks_see_everything() {
        let mut v = viewer();
        v.all = true;
        for r in [Resource::Paper, Resource::File, Resource::AgendaItem] {
            assert_eq!(condition(&v, r, "t"), None);
        }
    }

    #[test]
    fn members_see_their_committees_and_authors_their_departments() {
        let committee = Uuid::new_v4();
        let department = Uuid::new_v4();
        let mut v = viewer();
        v.committees = vec![committee];
        v.person = Some(Uuid::new_v4());
        v.departments = vec![department];
        let item = condition(&v, Resource::AgendaItem, "t").unwrap();
        assert!(item.contains(&format!("'{committee}'")), "{item}");
        let paper = condition(&v, Resource::Paper, "t").unwrap();
        assert!(paper.contains(&format!("t.department_id = ANY(ARRAY['{department}']")));
        // Staff alone do not see drafts.
        let mut staff = viewer();
        staff.staff = true;
        let paper = condition(&staff, Resource::Paper, "t").unwrap();
        assert_eq!(paper, "(t.release_state <> 'draft')");
        assert_eq!(condition(&staff, Resource::AgendaItem, "t"), None);
    }
}
