//! Validation of settable fields, with errors that name the field (GraphQL input names).
//! References must name live objects of this tenant: other tenants' ids simply do not exist
//! in this schema, so a cross-tenant reference fails like an unknown one.

use super::model::*;
use super::store;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use uuid::Uuid;

const NAME: usize = 300;
const SHORT: usize = 100;
const TITLE: usize = 1000;
const LONG: usize = 100_000;
const BODY: usize = 200_000;

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::validation(field, message)
}

/// Text that is not blank, has no control characters (line breaks allowed in long texts) and
/// is at most `max` characters long.
fn text(field: &str, value: &str, max: usize) -> ServiceResult<()> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    let multiline = max >= LONG;
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(invalid(field, "must not contain control characters"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(invalid(
            field,
            format!("may have at most {max} characters, got {chars}"),
        ));
    }
    Ok(())
}

fn opt_text(field: &str, value: &Option<String>, max: usize) -> ServiceResult<()> {
    value.as_deref().map_or(Ok(()), |v| text(field, v, max))
}

fn not_before<T: PartialOrd>(
    field: &str,
    start: Option<T>,
    end: Option<T>,
    strictly: bool,
) -> ServiceResult<()> {
    if let (Some(start), Some(end)) = (start, end)
        && (end < start || (strictly && end == start))
    {
        return Err(invalid(field, "must be after the start"));
    }
    Ok(())
}

/// The live object `id` of `kind`, or a validation error on `field`.
async fn existing(tx: &Check<'_>, kind: Kind, field: &str, id: Uuid) -> ServiceResult<Object> {
    let found = if tx.kept(field) {
        store::any_objects(tx.tx, kind, &[id]).await?
    } else {
        store::live_objects(tx.tx, kind, &[id]).await?
    };
    found
        .into_iter()
        .next()
        .ok_or_else(|| invalid(field, format!("no {} with id {id}", kind.table())))
}

async fn all_exist(tx: &Check<'_>, kind: Kind, field: &str, ids: &[Uuid]) -> ServiceResult<()> {
    if tx.kept(field) {
        return Ok(());
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(invalid(field, "names the same object twice"));
    }
    let found = store::live_ids(tx.tx, kind, &unique).await?;
    if let Some(missing) = unique.iter().find(|id| !found.contains(id)) {
        return Err(invalid(
            field,
            format!("no {} with id {missing}", kind.table()),
        ));
    }
    Ok(())
}

async fn optional(tx: &Check<'_>, kind: Kind, field: &str, id: Option<Uuid>) -> ServiceResult<()> {
    match id {
        Some(id) => existing(tx, kind, field, id).await.map(|_| ()),
        None => Ok(()),
    }
}

async fn organization(tx: &Check<'_>, field: &str, id: Uuid) -> ServiceResult<Organization> {
    Organization::try_from(existing(tx, Kind::Organization, field, id).await?)
        .map_err(|_| ServiceError::internal("organization lookup returned another kind"))
}

/// Checks `fields` of a new object, or of an existing one (`id`) after an update.
pub(crate) async fn fields(
    tx: &TenantTx,
    input: &NewObject,
    id: Option<Uuid>,
    paper_types: &[String],
    kept: &[String],
) -> ServiceResult<()> {
    let check = Check { tx, kept };
    check_fields(&check, input, id, paper_types).await
}

/// The transaction, and the fields an update leaves as they were: their references were
/// checked when they were set and may since point at tombstones (a deleted person among an
/// old meeting's participants), which must not block changing something else.
pub(crate) struct Check<'a> {
    tx: &'a TenantTx,
    kept: &'a [String],
}

impl Check<'_> {
    fn kept(&self, field: &str) -> bool {
        self.kept.iter().any(|k| k == field)
    }
}

async fn check_fields(
    tx: &Check<'_>,
    input: &NewObject,
    id: Option<Uuid>,
    paper_types: &[String],
) -> ServiceResult<()> {
    match input {
        NewObject::LegislativeTerm(f) => {
            text("name", &f.name, NAME)?;
            not_before("endDate", f.start_date, f.end_date, false)
        }
        NewObject::Location(f) => location(f),
        NewObject::Organization(f) => organization_fields(tx, f, id).await,
        NewObject::Person(f) => {
            text("familyName", &f.family_name, 200)?;
            for (field, value) in [
                ("title", &f.title),
                ("givenName", &f.given_name),
                ("formOfAddress", &f.form_of_address),
                ("affix", &f.affix),
                ("phone", &f.phone),
                ("status", &f.status),
            ] {
                opt_text(field, value, NAME)?;
            }
            opt_text("email", &f.email, NAME)?;
            if f.email.as_deref().is_some_and(|e| !e.contains('@')) {
                return Err(invalid("email", "is not an e-mail address"));
            }
            opt_text("life", &f.life, 5000)?;
            opt_text("lifeSource", &f.life_source, TITLE)?;
            optional(tx, Kind::Location, "locationId", f.location_id).await
        }
        NewObject::Membership(f) => {
            existing(tx, Kind::Person, "personId", f.person_id).await?;
            let org = organization(tx, "organizationId", f.organization_id).await?;
            not_before("endDate", f.start_date, f.end_date, false)?;
            let within = |d: Option<chrono::NaiveDate>| {
                d.is_none_or(|d| {
                    org.fields.start_date.is_none_or(|s| d >= s)
                        && org.fields.end_date.is_none_or(|e| d <= e)
                })
            };
            if !within(f.start_date) || !within(f.end_date) {
                return Err(invalid(
                    "startDate",
                    "a membership must lie within the organization's lifetime",
                ));
            }
            if let Some(faction) = f.on_behalf_of_id {
                let faction = organization(tx, "onBehalfOfId", faction).await?;
                if faction.fields.organization_kind != OrganizationKind::Faction {
                    return Err(invalid("onBehalfOfId", "must name a faction (Fraktion)"));
                }
            }
            Ok(())
        }
        NewObject::Meeting(f) => {
            text("name", &f.name, 500)?;
            if f.organization_ids.is_empty() {
                return Err(invalid(
                    "organizationIds",
                    "a meeting needs its lead committee",
                ));
            }
            all_exist(
                tx,
                Kind::Organization,
                "organizationIds",
                &f.organization_ids,
            )
            .await?;
            not_before("endAt", Some(f.start_at), f.end_at, true)?;
            optional(tx, Kind::Location, "locationId", f.location_id).await?;
            all_exist(tx, Kind::Person, "participantIds", &f.participant_ids).await
        }
        NewObject::AgendaItem(f) => agenda_item(tx, f).await,
        NewObject::Paper(f) => paper(tx, f, id, paper_types).await,
        NewObject::Consultation(f) => {
            existing(tx, Kind::Paper, "paperId", f.paper_id).await?;
            organization(tx, "organizationId", f.organization_id).await?;
            if f.position < 1 {
                return Err(invalid("position", "counts from 1"));
            }
            if let Some(meeting) = f.meeting_id {
                let Object::Meeting(m) = existing(tx, Kind::Meeting, "meetingId", meeting).await?
                else {
                    return Err(ServiceError::internal(
                        "meeting lookup returned another kind",
                    ));
                };
                if !m.fields.organization_ids.contains(&f.organization_id) {
                    return Err(invalid(
                        "meetingId",
                        "the meeting is not one of the consulting organization's",
                    ));
                }
            }
            if let Some(item) = f.agenda_item_id {
                let Object::AgendaItem(a) =
                    existing(tx, Kind::AgendaItem, "agendaItemId", item).await?
                else {
                    return Err(ServiceError::internal(
                        "agenda item lookup returned another kind",
                    ));
                };
                if Some(a.fields.meeting_id) != f.meeting_id {
                    return Err(invalid(
                        "agendaItemId",
                        "the agenda item belongs to another meeting than meetingId",
                    ));
                }
            }
            Ok(())
        }
        NewObject::File(f) => {
            text("name", &f.name, 500)?;
            text("fileName", &f.file_name, 255)?;
            if f.file_name.contains(['/', '\\']) {
                return Err(invalid("fileName", "must not contain path separators"));
            }
            text("mimeType", &f.mime_type, 255)?;
            if !f.mime_type.contains('/') {
                return Err(invalid(
                    "mimeType",
                    "is not a media type such as application/pdf",
                ));
            }
            if f.size_bytes < 0 {
                return Err(invalid("sizeBytes", "must not be negative"));
            }
            if let Some(sha) = &f.sha512
                && (sha.len() != 128 || !sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
            {
                return Err(invalid("sha512", "must be 128 lower-case hex digits"));
            }
            opt_text("storageKey", &f.storage_key, TITLE)?;
            let owner = match f.owner_kind {
                FileOwner::Meeting => Kind::Meeting,
                FileOwner::AgendaItem => Kind::AgendaItem,
                FileOwner::Paper => Kind::Paper,
            };
            existing(tx, owner, "ownerId", f.owner_id).await.map(|_| ())
        }
    }
}

fn location(f: &LocationFields) -> ServiceResult<()> {
    opt_text("description", &f.description, TITLE)?;
    for (field, value) in [
        ("streetAddress", &f.street_address),
        ("room", &f.room),
        ("subLocality", &f.sub_locality),
        ("locality", &f.locality),
    ] {
        opt_text(field, value, NAME)?;
    }
    opt_text("postalCode", &f.postal_code, 20)?;
    if f.capacity.is_some_and(|c| c < 0) {
        return Err(invalid("capacity", "must not be negative"));
    }
    match (f.longitude, f.latitude) {
        (Some(lon), Some(lat)) => {
            if !(-180.0..=180.0).contains(&lon) {
                return Err(invalid("longitude", "must lie between -180 and 180"));
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(invalid("latitude", "must lie between -90 and 90"));
            }
            Ok(())
        }
        (None, None) => Ok(()),
        (Some(_), None) => Err(invalid("latitude", "is needed with a longitude")),
        (None, Some(_)) => Err(invalid("longitude", "is needed with a latitude")),
    }
}

async fn organization_fields(
    tx: &Check<'_>,
    f: &OrganizationFields,
    id: Option<Uuid>,
) -> ServiceResult<()> {
    text("name", &f.name, NAME)?;
    opt_text("shortName", &f.short_name, SHORT)?;
    opt_text("classification", &f.classification, SHORT)?;
    if let Some(code) = &f.code {
        text("code", code, 30)?;
        if !code
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_'))
        {
            return Err(invalid(
                "code",
                "may contain letters, digits, spaces, `.`, `-` and `_`",
            ));
        }
        let mut sql = store::Sql::default();
        let p = sql.bind(code.clone());
        sql.text = format!(
            "SELECT to_jsonb(t) AS j FROM organization t WHERE t.code = {p} AND NOT t.deleted"
        );
        let taken = store::fetch(tx.tx, Kind::Organization, sql).await?;
        if let Some(other) = taken.iter().find(|o| Some(o.id()) != id) {
            return Err(invalid(
                "code",
                format!(
                    "`{code}` is already the code of organization {}",
                    other.id()
                ),
            ));
        }
    }
    not_before("endDate", f.start_date, f.end_date, false)?;
    if let Some(site) = &f.website {
        text("website", site, 2000)?;
        if !(site.starts_with("https://") || site.starts_with("http://")) {
            return Err(invalid("website", "must be an http(s) URL"));
        }
    }
    optional(tx, Kind::Location, "locationId", f.location_id).await?;
    // Walk up the parents: the new parent must exist and must not lead back to this one.
    let mut next = f.parent_id;
    let mut hops = 0;
    while let Some(parent) = next {
        if Some(parent) == id {
            return Err(invalid(
                "parentId",
                "would make the organization its own ancestor",
            ));
        }
        hops += 1;
        if hops > 50 {
            return Err(invalid(
                "parentId",
                "the hierarchy is deeper than 50 levels",
            ));
        }
        next = organization(tx, "parentId", parent).await?.fields.parent_id;
    }
    Ok(())
}

async fn agenda_item(tx: &Check<'_>, f: &AgendaItemFields) -> ServiceResult<()> {
    existing(tx, Kind::Meeting, "meetingId", f.meeting_id).await?;
    text("title", &f.title, TITLE)?;
    opt_text("resolutionText", &f.resolution_text, LONG)?;
    for (field, votes) in [
        ("votesYes", f.votes_yes),
        ("votesNo", f.votes_no),
        ("votesAbstain", f.votes_abstain),
    ] {
        if votes.is_some_and(|v| v < 0) {
            return Err(invalid(field, "must not be negative"));
        }
    }
    not_before("endAt", f.start_at, f.end_at, false)?;
    optional(tx, Kind::Consultation, "consultationId", f.consultation_id).await?;
    let voters: Vec<Uuid> = f.member_votes.iter().map(|v| v.person_id).collect();
    all_exist(tx, Kind::Person, "memberVotes", &voters).await?;
    all_exist(tx, Kind::Person, "recusalIds", &f.recusal_ids).await?;
    if let Some(both) = f.recusal_ids.iter().find(|r| voters.contains(r)) {
        return Err(invalid(
            "recusalIds",
            format!("person {both} is recused and cannot vote"),
        ));
    }
    Ok(())
}

async fn paper(
    tx: &Check<'_>,
    f: &PaperFields,
    id: Option<Uuid>,
    paper_types: &[String],
) -> ServiceResult<()> {
    text("title", &f.title, TITLE)?;
    if !paper_types.iter().any(|t| t == &f.paper_type) {
        return Err(invalid(
            "paperType",
            format!(
                "`{}` is not a paper type of this tenant ({})",
                f.paper_type,
                paper_types.join(", ")
            ),
        ));
    }
    opt_text("bodyText", &f.body_text, BODY)?;
    if let Some(department) = f.department_id {
        let org = organization(tx, "departmentId", department).await?;
        if org.fields.organization_kind != OrganizationKind::Department {
            return Err(invalid("departmentId", "must name a department"));
        }
    }
    all_exist(
        tx,
        Kind::Person,
        "originatorPersonIds",
        &f.originator_person_ids,
    )
    .await?;
    all_exist(
        tx,
        Kind::Organization,
        "originatorOrganizationIds",
        &f.originator_organization_ids,
    )
    .await?;
    if id.is_some_and(|id| f.related_paper_ids.contains(&id)) {
        return Err(invalid(
            "relatedPaperIds",
            "a paper is not related to itself",
        ));
    }
    all_exist(tx, Kind::Paper, "relatedPaperIds", &f.related_paper_ids).await?;
    if let Some(main) = f.main_paper_id {
        let Object::Paper(main) = existing(tx, Kind::Paper, "mainPaperId", main).await? else {
            return Err(ServiceError::internal("paper lookup returned another kind"));
        };
        if main.fields.main_paper_id.is_some() {
            return Err(invalid(
                "mainPaperId",
                "a supplement belongs to a main paper, not to another supplement",
            ));
        }
    }
    Ok(())
}
