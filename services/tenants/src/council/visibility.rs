//! The council domain's side of the visibility rule: which [`Resource`] each kind is, and
//! what a viewer may not read of an object it may see. The rule itself lives in
//! `plenum-visibility`; the conditions are SQL over the row alias `t`.

use super::model::{Kind, Object};
use plenum_visibility::Resource;
pub(crate) use plenum_visibility::Viewer;

pub(crate) fn resource(kind: Kind) -> Resource {
    match kind {
        Kind::LegislativeTerm => Resource::LegislativeTerm,
        Kind::Organization => Resource::Organization,
        Kind::Person => Resource::Person,
        Kind::Membership => Resource::Membership,
        Kind::Location => Resource::Location,
        Kind::Meeting => Resource::Meeting,
        Kind::AgendaItem => Resource::AgendaItem,
        Kind::Paper => Resource::Paper,
        Kind::Consultation => Resource::Consultation,
        Kind::File => Resource::File,
    }
}

/// The condition rows of `kind` must meet for `viewer`, if any.
pub(crate) fn condition(viewer: &Viewer, kind: Kind) -> Option<String> {
    viewer.condition(resource(kind), "t")
}

/// Whether reading `object` is a read of non-public content (for the access log).
pub(crate) fn is_non_public(object: &Object) -> bool {
    match object {
        Object::Paper(p) => !p.fields.public || p.release_state.as_str() != "released",
        Object::AgendaItem(a) => !a.fields.public,
        Object::File(f) => !f.fields.public,
        _ => false,
    }
}

/// Removes what a viewer may not read from an object that it may see.
pub(crate) fn redact(viewer: &Viewer, object: &mut Object) {
    if viewer.sees_all() {
        return;
    }
    if object.meta().deleted {
        scrub(object);
        return;
    }
    match object {
        // Name, faction, committees and roles are public; contact details and the rest need
        // the person's consent, which Plenum does not record yet.
        Object::Person(p) if !viewer.is_staff() => {
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
