//! Who may see which council objects (BRIEF §3), applied inside every read query so that
//! pages, counts and cursors never include what the caller may not see.
//!
//! This is the interim rule until the identity issue brings tenant roles and the shared
//! visibility crate: staff (the operator and Plenum's own services) see everything; everyone
//! else sees what the public may see. The conditions are SQL over the row alias `t`.

use super::model::{Kind, Object};
use plenum_identity::{Identity, PrincipalKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    Staff,
    Public,
}

impl Viewer {
    pub fn of(caller: &Identity) -> Viewer {
        if caller.is_platform_operator() || caller.kind == PrincipalKind::Service {
            Viewer::Staff
        } else {
            Viewer::Public
        }
    }
}

/// Meetings whose invitation has gone out: their public agenda is public.
const INVITED: &str = "('invited', 'held')";

fn paper_public(alias: &str) -> String {
    format!("({alias}.release_state = 'released' AND {alias}.public)")
}

fn agenda_item_public(alias: &str) -> String {
    format!(
        "({alias}.public AND EXISTS (SELECT 1 FROM meeting vm WHERE vm.id = {alias}.meeting_id \
         AND vm.state IN {INVITED}))"
    )
}

/// The condition rows of `kind` must meet for `viewer`, if any.
pub(crate) fn condition(viewer: Viewer, kind: Kind) -> Option<String> {
    if viewer == Viewer::Staff {
        return None;
    }
    match kind {
        Kind::Paper => Some(paper_public("t")),
        // A non-public item never shows, not even its title; its number gap is the only trace.
        Kind::AgendaItem => Some(agenda_item_public("t")),
        // Only the public parts of a released paper's Beratungsfolge; where it is scheduled
        // shows once the meeting's invitation is out.
        Kind::Consultation => Some(format!(
            "EXISTS (SELECT 1 FROM paper vp WHERE vp.id = t.paper_id AND {}) AND \
             (t.agenda_item_id IS NULL OR EXISTS (SELECT 1 FROM agenda_item va \
              WHERE va.id = t.agenda_item_id AND {})) AND \
             (t.meeting_id IS NULL OR EXISTS (SELECT 1 FROM meeting vm \
              WHERE vm.id = t.meeting_id AND vm.state IN {INVITED}))",
            paper_public("vp"),
            agenda_item_public("va")
        )),
        // Rooms and buildings where bodies meet; a location only a person uses is their
        // address.
        Kind::Location => Some(
            "(EXISTS (SELECT 1 FROM meeting vm WHERE vm.location_id = t.id) OR \
              EXISTS (SELECT 1 FROM organization vo WHERE vo.location_id = t.id))"
                .to_owned(),
        ),
        // A file is public when it is marked so and its owner is visible.
        Kind::File => Some(format!(
            "t.public AND CASE t.owner_kind \
               WHEN 'paper' THEN EXISTS (SELECT 1 FROM paper vp WHERE vp.id = t.owner_id AND {}) \
               WHEN 'agenda_item' THEN EXISTS (SELECT 1 FROM agenda_item va \
                    WHERE va.id = t.owner_id AND {}) \
               WHEN 'meeting' THEN EXISTS (SELECT 1 FROM meeting vm WHERE vm.id = t.owner_id \
                    AND vm.state IN {INVITED} AND (t.file_role NOT IN \
                    ('results_protocol', 'verbatim_protocol') OR vm.minutes_state = 'approved')) \
               ELSE false END",
            paper_public("vp"),
            agenda_item_public("va")
        )),
        // Meetings show from when they are scheduled (BRIEF §3: "usually when scheduled");
        // a separate publication date comes with the Sitzungsdienst workflow.
        Kind::LegislativeTerm
        | Kind::Organization
        | Kind::Person
        | Kind::Membership
        | Kind::Meeting => None,
    }
}

/// Removes what a viewer may not read from an object that it may see.
pub(crate) fn redact(viewer: Viewer, object: &mut Object) {
    if viewer == Viewer::Staff {
        return;
    }
    if object.meta().deleted {
        scrub(object);
        return;
    }
    match object {
        // Name, faction, committees and roles are public; contact details and the rest need
        // the person's consent, which Plenum does not record yet.
        Object::Person(p) => {
            let f = &mut p.fields;
            f.gender = None;
            f.email = None;
            f.phone = None;
            f.status = None;
            f.life = None;
            f.life_source = None;
            f.location_id = None;
        }
        // Where the bytes lie is the documents service's business.
        Object::File(f) => f.fields.storage_key = None,
        _ => {}
    }
}

/// Text fields a tombstone loses: the public learns that an object was deleted and when, not
/// what it said (a retracted paper, an erased person).
const TOMBSTONE_TEXT: &[&str] = &[
    "name",
    "short_name",
    "title",
    "body_text",
    "description",
    "street_address",
    "room",
    "given_name",
    "family_name",
    "form_of_address",
    "affix",
    "email",
    "phone",
    "status",
    "life",
    "life_source",
    "resolution_text",
    "file_name",
    "website",
    "classification",
    "storage_key",
    "sub_locality",
    "locality",
    "postal_code",
    "code",
];

fn scrub(object: &mut Object) {
    let kind = object.kind();
    let mut row = object.to_row();
    if let serde_json::Value::Object(map) = &mut row {
        for key in TOMBSTONE_TEXT {
            if map.contains_key(*key) {
                // Optional texts become null, required ones empty.
                map.insert((*key).to_owned(), serde_json::Value::Null);
                let row = serde_json::Value::Object(map.clone());
                if Object::from_row(kind, row).is_err() {
                    map.insert((*key).to_owned(), serde_json::Value::String(String::new()));
                }
            }
        }
        for (_, value) in map.iter_mut() {
            if let serde_json::Value::Array(items) = value {
                items.clear();
            }
        }
    }
    if let Ok(scrubbed) = Object::from_row(kind, row) {
        *object = scrubbed;
    }
}
