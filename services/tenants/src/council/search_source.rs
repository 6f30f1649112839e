//! What the search index holds of council objects, read in the tenant's database with the
//! access tags of the visibility crate (`plenum_visibility::tags`). Only Plenum's own services
//! may ask: a source carries non-public text together with the tags that guard it.
//!
//! An event names one object, but a change can alter what the index must say about others:
//! a meeting's invitation makes its agenda items, the papers on it and their files visible.
//! [`affected`] follows those edges, so the indexer re-reads everything a change can touch.

use super::model::Kind;
use super::visibility::resource;
use chrono::{DateTime, Utc};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use plenum_visibility::tags::tags_sql;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The kinds the search index holds.
pub const INDEXED_KINDS: [Kind; 6] = [
    Kind::Paper,
    Kind::Meeting,
    Kind::AgendaItem,
    Kind::Person,
    Kind::Organization,
    Kind::File,
];

/// The most sources one request returns.
pub const MAX_SOURCES: u32 = 2000;

/// Which sources to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum SourceRequest {
    /// Everything a change of these objects may have altered in the index: the objects, what
    /// is embedded in them and what inherits their visibility. Missing objects come back as
    /// deleted sources, so that the index forgets them.
    Affected { kind: Kind, ids: Vec<Uuid> },
    /// Live objects of one indexed kind in id order, after `after`, for a rebuild.
    Page {
        kind: Kind,
        after: Option<Uuid>,
        limit: u32,
    },
}

/// One council object as the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSource {
    pub kind: Kind,
    pub id: Uuid,
    /// A tombstone, or no longer there: the index removes it.
    pub deleted: bool,
    /// Paper and agenda item title, meeting and organization name, person's full name, file
    /// name.
    pub title: String,
    /// Paper reference, meeting number, agenda item number, organization short name.
    pub reference: Option<String>,
    /// Paper body text, agenda item resolution text, meeting place.
    pub text: String,
    pub paper_type: Option<String>,
    /// Agenda item result (`approved`, …).
    pub result: Option<String>,
    /// Paper date, meeting start (agenda items: their meeting's), file date.
    pub date: Option<DateTime<Utc>>,
    /// Committees the object belongs to, for the facet.
    pub committees: Vec<Uuid>,
    /// Where it belongs, to show with a hit: the department of a paper, the meeting of an
    /// agenda item, the committees of a meeting, the owner of a file.
    pub context: Option<String>,
    /// The meeting of an agenda item, the owner of a file.
    pub parent: Option<(Kind, Uuid)>,
    /// Who may see it: `plenum_visibility::tags`.
    pub access: Vec<String>,
    pub modified: DateTime<Utc>,
}

pub(crate) async fn read(tx: &TenantTx, request: SourceRequest) -> ServiceResult<Vec<IndexSource>> {
    match request {
        SourceRequest::Affected { kind, ids } => {
            if ids.len() > MAX_SOURCES as usize {
                return Err(ServiceError::validation(
                    "ids",
                    format!("at most {MAX_SOURCES} ids per request"),
                ));
            }
            let mut out = Vec::new();
            for (kind, ids) in affected(tx, kind, &ids).await? {
                let found = by_ids(tx, kind, &ids).await?;
                let present: BTreeSet<Uuid> = found.iter().map(|s| s.id).collect();
                out.extend(found);
                out.extend(
                    ids.into_iter()
                        .filter(|id| !present.contains(id))
                        .map(|id| gone(kind, id)),
                );
            }
            Ok(out)
        }
        SourceRequest::Page { kind, after, limit } => {
            if !INDEXED_KINDS.contains(&kind) {
                return Err(ServiceError::validation(
                    "kind",
                    format!("{} is not indexed", kind.table()),
                ));
            }
            let limit = limit.clamp(1, MAX_SOURCES);
            let condition = "NOT t.deleted AND ($1::uuid IS NULL OR t.id > $1::uuid) \
                             ORDER BY t.id LIMIT $2";
            query(
                tx,
                kind,
                condition,
                vec![after.into(), i64::from(limit).into()],
            )
            .await
        }
    }
}

fn gone(kind: Kind, id: Uuid) -> IndexSource {
    IndexSource {
        kind,
        id,
        deleted: true,
        title: String::new(),
        reference: None,
        text: String::new(),
        paper_type: None,
        result: None,
        date: None,
        committees: Vec::new(),
        context: None,
        parent: None,
        access: Vec::new(),
        modified: DateTime::<Utc>::MIN_UTC,
    }
}

async fn ids_of(tx: &TenantTx, sql: &str, ids: &[Uuid]) -> ServiceResult<Vec<Uuid>> {
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [super::store::uuid_array(ids).into()],
        ))
        .await
        .map_err(ServiceError::internal)?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(ServiceError::internal))
        .collect()
}

/// The indexed objects a change of `kind` objects `ids` can alter, per kind, deleted ones
/// included.
async fn affected(
    tx: &TenantTx,
    kind: Kind,
    ids: &[Uuid],
) -> ServiceResult<Vec<(Kind, Vec<Uuid>)>> {
    let mut papers: Vec<Uuid> = Vec::new();
    let mut items: Vec<Uuid> = Vec::new();
    let mut meetings: Vec<Uuid> = Vec::new();
    let mut files: Vec<Uuid> = Vec::new();
    let mut others: Vec<(Kind, Vec<Uuid>)> = Vec::new();
    match kind {
        Kind::Paper => papers = ids.to_vec(),
        Kind::Consultation => {
            papers = ids_of(
                tx,
                "SELECT paper_id AS id FROM consultation WHERE id = ANY($1::uuid[])",
                ids,
            )
            .await?;
        }
        Kind::Meeting => {
            meetings = ids.to_vec();
            items = ids_of(
                tx,
                "SELECT id FROM agenda_item WHERE meeting_id = ANY($1::uuid[])",
                ids,
            )
            .await?;
        }
        Kind::AgendaItem => items = ids.to_vec(),
        Kind::File => files = ids.to_vec(),
        // Meetings show their committees' names and their place; what hangs off a meeting
        // does not, and its visibility does not change with them.
        Kind::Organization => {
            others.push((Kind::Organization, ids.to_vec()));
            let named = ids_of(
                tx,
                "SELECT id FROM meeting WHERE organization_ids && $1::uuid[]",
                ids,
            )
            .await?;
            others.push((Kind::Meeting, named));
        }
        Kind::Location => {
            let held = ids_of(
                tx,
                "SELECT id FROM meeting WHERE location_id = ANY($1::uuid[])",
                ids,
            )
            .await?;
            others.push((Kind::Meeting, held));
        }
        Kind::Person => others.push((Kind::Person, ids.to_vec())),
        Kind::Membership | Kind::LegislativeTerm => {}
    }
    if !meetings.is_empty() || !items.is_empty() {
        let mut papers_on = ids_of(
            tx,
            "SELECT DISTINCT paper_id AS id FROM consultation WHERE meeting_id = ANY($1::uuid[]) \
             OR agenda_item_id = ANY($1::uuid[])",
            &[meetings.as_slice(), items.as_slice()].concat(),
        )
        .await?;
        papers.append(&mut papers_on);
    }
    let owners: Vec<Uuid> = [papers.as_slice(), items.as_slice(), meetings.as_slice()].concat();
    if !owners.is_empty() {
        let mut owned = ids_of(
            tx,
            "SELECT id FROM file WHERE owner_id = ANY($1::uuid[])",
            &owners,
        )
        .await?;
        files.append(&mut owned);
    }
    let mut out: Vec<(Kind, Vec<Uuid>)> = others
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    for (kind, mut ids) in [
        (Kind::Paper, papers),
        (Kind::Meeting, meetings),
        (Kind::AgendaItem, items),
        (Kind::File, files),
    ] {
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            out.push((kind, ids));
        }
    }
    Ok(out)
}

async fn by_ids(tx: &TenantTx, kind: Kind, ids: &[Uuid]) -> ServiceResult<Vec<IndexSource>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_SOURCES as usize) {
        out.extend(
            query(
                tx,
                kind,
                "t.id = ANY($1::uuid[])",
                vec![super::store::uuid_array(chunk).into()],
            )
            .await?,
        );
    }
    Ok(out)
}

/// The columns of a source for each indexed kind, over the row `t`.
fn columns(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Paper => {
            "t.title, t.reference, coalesce(t.body_text, '') AS text, t.paper_type, \
             NULL::text AS result, (t.paper_date::timestamp AT TIME ZONE 'Europe/Berlin') AS date, \
             ARRAY(SELECT DISTINCT c.organization_id FROM consultation c \
               LEFT JOIN agenda_item ci ON ci.id = c.agenda_item_id \
               WHERE c.paper_id = t.id AND NOT c.deleted AND (ci.id IS NULL OR ci.public)) \
               AS committee_ids, \
             (SELECT o.name FROM organization o WHERE o.id = t.department_id) AS context, \
             NULL::text AS parent_kind, NULL::uuid AS parent_id"
        }
        Kind::Meeting => {
            "t.name AS title, t.number AS reference, \
             coalesce((SELECT concat_ws(' ', l.description, l.room, l.street_address, l.locality) \
               FROM location l WHERE l.id = t.location_id), '') AS text, \
             NULL::text AS paper_type, NULL::text AS result, t.start_at AS date, \
             t.organization_ids AS committee_ids, \
             (SELECT string_agg(o.name, ', ' ORDER BY o.name) FROM organization o \
               WHERE o.id = ANY(t.organization_ids)) AS context, \
             NULL::text AS parent_kind, NULL::uuid AS parent_id"
        }
        Kind::AgendaItem => {
            "t.title, t.number AS reference, coalesce(t.resolution_text, '') AS text, \
             NULL::text AS paper_type, t.result, m.start_at AS date, \
             m.organization_ids AS committee_ids, m.name AS context, \
             'meeting' AS parent_kind, t.meeting_id AS parent_id"
        }
        Kind::Person => {
            "concat_ws(' ', t.title, t.given_name, t.family_name) AS title, \
             NULL::text AS reference, '' AS text, NULL::text AS paper_type, NULL::text AS result, \
             NULL::timestamptz AS date, '{}'::uuid[] AS committee_ids, NULL::text AS context, \
             NULL::text AS parent_kind, NULL::uuid AS parent_id"
        }
        Kind::Organization => {
            "t.name AS title, t.short_name AS reference, '' AS text, NULL::text AS paper_type, \
             NULL::text AS result, NULL::timestamptz AS date, \
             CASE WHEN t.organization_kind = 'committee' THEN ARRAY[t.id] \
               ELSE '{}'::uuid[] END AS committee_ids, \
             NULL::text AS context, NULL::text AS parent_kind, NULL::uuid AS parent_id"
        }
        Kind::File => {
            "t.name AS title, NULL::text AS reference, '' AS text, NULL::text AS paper_type, \
             NULL::text AS result, \
             (t.file_date::timestamp AT TIME ZONE 'Europe/Berlin') AS date, \
             CASE t.owner_kind \
               WHEN 'meeting' THEN (SELECT fm.organization_ids FROM meeting fm \
                 WHERE fm.id = t.owner_id) \
               WHEN 'agenda_item' THEN (SELECT fm.organization_ids FROM agenda_item fi \
                 JOIN meeting fm ON fm.id = fi.meeting_id WHERE fi.id = t.owner_id) \
               ELSE '{}'::uuid[] END AS committee_ids, \
             CASE t.owner_kind \
               WHEN 'meeting' THEN (SELECT fm.name FROM meeting fm WHERE fm.id = t.owner_id) \
               WHEN 'agenda_item' THEN (SELECT fi.title FROM agenda_item fi \
                 WHERE fi.id = t.owner_id) \
               ELSE (SELECT fp.reference || ' ' || fp.title FROM paper fp \
                 WHERE fp.id = t.owner_id) END AS context, \
             t.owner_kind AS parent_kind, t.owner_id AS parent_id"
        }
        _ => return None,
    })
}

async fn query(
    tx: &TenantTx,
    kind: Kind,
    condition: &str,
    values: Vec<Value>,
) -> ServiceResult<Vec<IndexSource>> {
    let (Some(columns), Some(tags)) = (columns(kind), tags_sql(resource(kind), "t")) else {
        return Ok(Vec::new());
    };
    let table = kind.table();
    let join = if kind == Kind::AgendaItem {
        " JOIN meeting m ON m.id = t.meeting_id"
    } else {
        ""
    };
    // Arrays travel as JSON: the driver reads no `uuid[]`/`text[]` without another feature.
    let sql = format!(
        "SELECT s.*, to_jsonb(s.committee_ids) AS committees_json, \
                to_jsonb(s.access_tags) AS access_json FROM ( \
           SELECT t.id, t.deleted, t.modified_at, {columns}, {tags} AS access_tags \
           FROM {table} t{join} WHERE {condition}) s"
    );
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(ServiceError::internal)?;
    rows.iter().map(|row| source(kind, row)).collect()
}

fn source(kind: Kind, row: &QueryResult) -> ServiceResult<IndexSource> {
    fn get<T: plenum_tenancy::sea_orm::TryGetable>(row: &QueryResult, c: &str) -> ServiceResult<T> {
        row.try_get("", c).map_err(ServiceError::internal)
    }
    let parent_kind: Option<String> = get(row, "parent_kind")?;
    let parent_id: Option<Uuid> = get(row, "parent_id")?;
    let parent = match (parent_kind, parent_id) {
        (Some(k), Some(id)) => Some((
            serde_json::from_value(serde_json::Value::String(k)).map_err(ServiceError::internal)?,
            id,
        )),
        _ => None,
    };
    let deleted: bool = get(row, "deleted")?;
    if deleted {
        return Ok(gone(kind, get(row, "id")?));
    }
    Ok(IndexSource {
        kind,
        id: get(row, "id")?,
        deleted,
        title: get(row, "title")?,
        reference: get(row, "reference")?,
        text: get(row, "text")?,
        paper_type: get(row, "paper_type")?,
        result: get(row, "result")?,
        date: get(row, "date")?,
        committees: json_list(get(row, "committees_json")?)?,
        context: get(row, "context")?,
        parent,
        access: json_list(get(row, "access_json")?)?,
        modified: get(row, "modified_at")?,
    })
}

fn json_list<T: serde::de::DeserializeOwned>(
    value: Option<serde_json::Value>,
) -> ServiceResult<Vec<T>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v).map_err(ServiceError::internal),
    }
}
