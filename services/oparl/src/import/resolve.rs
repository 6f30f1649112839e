//! Making mapped objects fit Plenum's rules before they are written: references that lead
//! nowhere are left out (or the object, where the reference is what it is about), and paper
//! references are made unique.

use plenum_tenants::council::model::Object;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Leaves out references for which `keep` is false. Fails (the object cannot be written)
/// when a reference the object cannot do without leads nowhere.
pub(crate) fn strip(object: &mut Object, keep: &dyn Fn(Uuid) -> bool) -> Result<(), String> {
    let opt = |r: &mut Option<Uuid>| {
        if r.is_some_and(|id| !keep(id)) {
            *r = None;
        }
    };
    let required = |id: Uuid, what: &str| {
        if keep(id) {
            Ok(())
        } else {
            Err(format!("its {what} is neither listed nor retrievable"))
        }
    };
    match object {
        Object::Organization(o) => {
            opt(&mut o.fields.parent_id);
            opt(&mut o.fields.location_id);
        }
        Object::Person(p) => opt(&mut p.fields.location_id),
        Object::Membership(m) => {
            required(m.fields.person_id, "person")?;
            required(m.fields.organization_id, "organization")?;
            opt(&mut m.fields.on_behalf_of_id);
        }
        Object::Meeting(m) => {
            opt(&mut m.fields.location_id);
            m.fields.organization_ids.retain(|id| keep(*id));
            m.fields.participant_ids.retain(|id| keep(*id));
        }
        Object::AgendaItem(a) => {
            required(a.fields.meeting_id, "meeting")?;
            opt(&mut a.fields.consultation_id);
        }
        Object::Paper(p) => {
            opt(&mut p.fields.department_id);
            opt(&mut p.fields.main_paper_id);
            p.fields.originator_person_ids.retain(|id| keep(*id));
            p.fields.originator_organization_ids.retain(|id| keep(*id));
            p.fields.related_paper_ids.retain(|id| keep(*id));
        }
        Object::Consultation(c) => {
            required(c.fields.paper_id, "paper")?;
            required(c.fields.organization_id, "organization")?;
            opt(&mut c.fields.meeting_id);
            opt(&mut c.fields.agenda_item_id);
        }
        Object::File(f) => required(f.fields.owner_id, "owner")?,
        Object::LegislativeTerm(_) | Object::Location(_) => {}
    }
    Ok(())
}

/// Paper references are unique in Plenum; sources repeat them (deleted papers keep "",
/// supplements reuse the main paper's), and the tenant may have papers of its own or of
/// another source with the same reference (`taken`: reference → paper). Later duplicates get
/// " [2]", " [3]", …
pub(crate) fn unique_numbers(objects: &mut [Object], taken: &HashMap<String, Uuid>) {
    let mut used: HashSet<String> = HashSet::new();
    for object in objects.iter_mut() {
        if let Object::Paper(p) = object {
            if p.reference.is_empty() {
                p.reference = format!("oparl-{}", p.meta.id.simple());
                continue;
            }
            let free = |candidate: &str, used: &HashSet<String>| {
                !used.contains(candidate)
                    && taken.get(candidate).is_none_or(|owner| *owner == p.meta.id)
            };
            let mut candidate = p.reference.clone();
            let mut n = 1;
            while !free(&candidate, &used) {
                n += 1;
                candidate = format!("{} [{n}]", p.reference);
            }
            used.insert(candidate.clone());
            p.reference = candidate;
        }
    }
}

/// Texts this long may hold line breaks (`LONG` in the council's validation); shorter ones are
/// one line.
const MULTILINE_FROM: usize = 100_000;

/// Cuts a text to `max` characters (ending in "…"); the whole text stays in the source JSON.
fn cut(value: &mut String, max: usize) {
    // Sources put line breaks into titles ("Haushaltssatzung 2007;\nhier: …"); the council
    // refuses them in one-line fields, and a clerk could not save such an object again.
    if max < MULTILINE_FROM && value.chars().any(char::is_control) {
        *value = value
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
    if value.chars().count() > max {
        *value = value.chars().take(max - 1).collect::<String>() + "…";
    }
}

fn cut_opt(value: &mut Option<String>, max: usize) {
    if let Some(v) = value {
        cut(v, max);
    }
}

/// Fits texts into Plenum's column limits (`council/schema.sql`).
pub(crate) fn fit(object: &mut Object) {
    match object {
        Object::LegislativeTerm(t) => cut(&mut t.fields.name, 300),
        Object::Location(l) => {
            let f = &mut l.fields;
            cut_opt(&mut f.description, 1000);
            cut_opt(&mut f.street_address, 300);
            cut_opt(&mut f.room, 300);
            cut_opt(&mut f.postal_code, 20);
            cut_opt(&mut f.sub_locality, 300);
            cut_opt(&mut f.locality, 300);
        }
        Object::Organization(o) => {
            let f = &mut o.fields;
            cut(&mut f.name, 300);
            cut_opt(&mut f.short_name, 100);
            cut_opt(&mut f.classification, 100);
            cut_opt(&mut f.website, 2000);
        }
        Object::Person(p) => {
            let f = &mut p.fields;
            cut_opt(&mut f.title, 100);
            cut_opt(&mut f.given_name, 200);
            cut(&mut f.family_name, 200);
            cut_opt(&mut f.form_of_address, 100);
            cut_opt(&mut f.affix, 100);
            cut_opt(&mut f.email, 300);
            cut_opt(&mut f.phone, 100);
            cut_opt(&mut f.status, 300);
            cut_opt(&mut f.life, 5000);
            cut_opt(&mut f.life_source, 1000);
        }
        Object::Meeting(m) => cut(&mut m.fields.name, 500),
        Object::Paper(p) => {
            cut(&mut p.fields.title, 1000);
            cut(&mut p.fields.paper_type, 100);
        }
        Object::AgendaItem(a) => {
            cut(&mut a.fields.title, 1000);
            cut_opt(&mut a.fields.resolution_text, 100_000);
        }
        Object::File(f) => {
            cut(&mut f.fields.name, 500);
            cut(&mut f.fields.file_name, 255);
            cut(&mut f.fields.mime_type, 255);
        }
        Object::Membership(_) | Object::Consultation(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_lose_their_line_breaks_and_long_ones_are_cut() {
        let mut title = "Haushaltssatzung 2007;\r\nhier:\tAnträge  der FDP".to_owned();
        cut(&mut title, 1000);
        assert_eq!(title, "Haushaltssatzung 2007; hier: Anträge der FDP");
        let mut plain = "Zwei  Leerzeichen bleiben".to_owned();
        cut(&mut plain, 1000);
        assert_eq!(
            plain, "Zwei  Leerzeichen bleiben",
            "only texts with breaks change"
        );
        let mut resolution = "Der Rat beschließt:\n1. Radweg".to_owned();
        cut(&mut resolution, 100_000);
        assert_eq!(
            resolution, "Der Rat beschließt:\n1. Radweg",
            "long texts keep them"
        );
        let mut long = "x".repeat(12);
        cut(&mut long, 10);
        assert_eq!(long, format!("{}…", "x".repeat(9)));
    }
}
