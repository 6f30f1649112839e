//! Lists with filters, sorting and keyset cursors, and child lists for many parents at once.

use super::api::{Filter, ListQuery, MAX_BATCH, MAX_PAGE_SIZE, Page, Relation, SortBy};
use super::model::{Kind, Object};
use super::store::{self, Sql, uuid_array};
use super::visibility::{self, Viewer};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_tenancy::db_error;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::HashSet;
use uuid::Uuid;

/// A sort key: an SQL expression over `t` and the type its cursor value is cast back to.
struct SortKey {
    expr: &'static str,
    sql_type: &'static str,
    descending: bool,
}

fn sort_key(kind: Kind, sort: SortBy) -> SortKey {
    let key = |expr, sql_type, descending| SortKey {
        expr,
        sql_type,
        descending,
    };
    let name = match kind {
        Kind::Person => "lower(t.family_name || ' ' || coalesce(t.given_name, ''))",
        Kind::Meeting | Kind::LegislativeTerm | Kind::Organization | Kind::File => "lower(t.name)",
        Kind::Paper | Kind::AgendaItem => "lower(t.title)",
        Kind::Location => "lower(coalesce(t.description, t.room, t.street_address, ''))",
        Kind::Membership | Kind::Consultation => "t.created_at::text",
    };
    match (sort, kind) {
        (SortBy::Modified, _) => key("t.modified_at", "timestamptz", false),
        (SortBy::Name, _) => key(name, "text", false),
        (SortBy::Default | SortBy::Date, Kind::Meeting) => key("t.start_at", "timestamptz", true),
        (SortBy::Default | SortBy::Date, Kind::Paper) => key("t.paper_date", "date", true),
        (SortBy::Date, Kind::LegislativeTerm | Kind::Organization | Kind::Membership) => {
            key("coalesce(t.start_date, '0001-01-01')", "date", false)
        }
        (SortBy::Date, _) => key("t.created_at", "timestamptz", false),
        (SortBy::Default, Kind::AgendaItem | Kind::Consultation) => {
            key("t.position", "int4", false)
        }
        (SortBy::Default, Kind::Organization) => key("t.sort_order", "int4", false),
        (SortBy::Default, Kind::LegislativeTerm) => {
            key("coalesce(t.start_date, '0001-01-01')", "date", true)
        }
        (SortBy::Default, Kind::Membership) => key("t.created_at", "timestamptz", false),
        (SortBy::Default, _) => key(name, "text", false),
    }
}

fn encode_cursor(value: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([value, id]).to_string())
}

fn decode_cursor(cursor: &str) -> ServiceResult<(String, Uuid)> {
    let invalid = || ServiceError::validation("after", "not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    serde_json::from_slice::<(String, Uuid)>(&bytes).map_err(|_| invalid())
}

/// A cursor from another list (another kind or sort) carries a value of another type: refuse
/// it here, before PostgreSQL's cast would fail as an internal error.
fn check_cursor_value(value: &str, sql_type: &str) -> ServiceResult<()> {
    let ok = match sql_type {
        "timestamptz" => chrono::DateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f%#z").is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        "int4" => value.parse::<i32>().is_ok(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(ServiceError::validation(
            "after",
            "not a cursor of this list",
        ))
    }
}

fn unsupported(filter: &str, kind: Kind) -> ServiceError {
    ServiceError::validation(
        format!("filter.{filter}"),
        format!("lists of {} cannot be filtered by {filter}", kind.table()),
    )
}

/// Appends the WHERE conditions of `filter` for `kind`, refusing filters the kind lacks.
fn conditions(kind: Kind, filter: &Filter, viewer: &Viewer, sql: &mut Sql) -> ServiceResult<()> {
    let mut conds: Vec<String> = Vec::new();
    if let Some(since) = filter.modified_since {
        let p = sql_bind(sql, since);
        conds.push(format!("t.modified_at > {p}"));
    } else if !filter.include_deleted {
        conds.push("NOT t.deleted".to_owned());
    }
    // OParl's bounds: `since` is exclusive, `until` inclusive, so that consecutive windows
    // neither overlap nor leave a gap.
    for (bound, column, op) in [
        (filter.modified_until, "modified_at", "<="),
        (filter.created_since, "created_at", ">"),
        (filter.created_until, "created_at", "<="),
    ] {
        if let Some(at) = bound {
            let p = sql_bind(sql, at);
            conds.push(format!("t.{column} {op} {p}"));
        }
    }
    if let Some(cond) = visibility::condition(viewer, kind) {
        conds.push(cond);
    }
    macro_rules! only {
        ($name:literal, $value:expr, [$($k:ident),+], |$v:ident| $cond:expr) => {
            if let Some($v) = $value.clone() {
                if !matches!(kind, $(Kind::$k)|+) {
                    return Err(unsupported($name, kind));
                }
                let cond: String = $cond;
                conds.push(cond);
            }
        };
    }
    only!(
        "organizationId",
        filter.organization_id,
        [Meeting, Membership, Person, Organization],
        |v| {
            let p = sql_bind(sql, v);
            match kind {
                Kind::Meeting => format!("{p}::uuid = ANY(t.organization_ids)"),
                Kind::Membership => format!("t.organization_id = {p}"),
                Kind::Organization => format!("t.parent_id = {p}"),
                _ => member_of(sql, &p, filter),
            }
        }
    );
    only!("factionId", filter.faction_id, [Person, Membership], |v| {
        let p = sql_bind(sql, v);
        match kind {
            Kind::Membership => format!("t.on_behalf_of_id = {p}"),
            _ => {
                let current = current_cond(sql, filter);
                format!(
                    "EXISTS (SELECT 1 FROM membership fm WHERE fm.person_id = t.id AND NOT fm.deleted \
                     AND (fm.organization_id = {p} OR fm.on_behalf_of_id = {p}){current})"
                )
            }
        }
    });
    only!("personId", filter.person_id, [Membership], |v| format!(
        "t.person_id = {}",
        sql_bind(sql, v)
    ));
    only!(
        "meetingId",
        filter.meeting_id,
        [AgendaItem, Consultation],
        |v| format!("t.meeting_id = {}", sql_bind(sql, v))
    );
    only!("paperId", filter.paper_id, [Consultation], |v| format!(
        "t.paper_id = {}",
        sql_bind(sql, v)
    ));
    only!("departmentId", filter.department_id, [Paper], |v| format!(
        "t.department_id = {}",
        sql_bind(sql, v)
    ));
    only!(
        "kind",
        filter.organization_kind,
        [Organization],
        |v| format!("t.organization_kind = {}", sql_bind(sql, v.as_str()))
    );
    only!("paperType", filter.paper_type, [Paper], |v| format!(
        "t.paper_type = {}",
        sql_bind(sql, v)
    ));
    only!("reference", filter.reference, [Paper], |v| format!(
        "t.reference = {}",
        sql_bind(sql, v)
    ));
    only!("number", filter.number, [Meeting], |v| format!(
        "t.number = {}",
        sql_bind(sql, v)
    ));
    only!("startFrom", filter.start_from, [Meeting], |v| format!(
        "t.start_at >= {}",
        sql_bind(sql, v)
    ));
    only!("startUntil", filter.start_until, [Meeting], |v| format!(
        "t.start_at < {}",
        sql_bind(sql, v)
    ));
    only!("dateFrom", filter.date_from, [Paper], |v| format!(
        "t.paper_date >= {}",
        sql_bind(sql, v)
    ));
    only!("dateUntil", filter.date_until, [Paper], |v| format!(
        "t.paper_date <= {}",
        sql_bind(sql, v)
    ));
    if filter.current_on.is_some() && kind == Kind::Membership {
        let cond = current_cond(sql, filter);
        conds.push(cond.trim_start_matches(" AND ").replace("fm.", "t."));
    } else if filter.current_on.is_some()
        && kind == Kind::Person
        && filter.organization_id.is_none()
        && filter.faction_id.is_none()
    {
        let current = current_cond(sql, filter);
        conds.push(format!(
            "EXISTS (SELECT 1 FROM membership fm WHERE fm.person_id = t.id AND NOT fm.deleted{current})"
        ));
    } else if filter.current_on.is_some() && !matches!(kind, Kind::Person | Kind::Membership) {
        return Err(unsupported("currentOn", kind));
    }
    if let Some(text) = &filter.text {
        if text.chars().count() > 200 {
            return Err(ServiceError::validation(
                "filter.text",
                "at most 200 characters",
            ));
        }
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let p = sql_bind(sql, pattern);
        let name = sort_key(kind, SortBy::Name).expr;
        conds.push(format!("{name} LIKE lower({p})"));
    }
    for cond in conds {
        sql.text.push_str(" AND ");
        sql.text.push_str(&cond);
    }
    Ok(())
}

fn sql_bind(sql: &mut Sql, value: impl Into<plenum_tenancy::sea_orm::Value>) -> String {
    sql.bind(value)
}

/// ` AND <membership fm is current on the filter's day>`, or nothing.
fn current_cond(sql: &mut Sql, filter: &Filter) -> String {
    match filter.current_on {
        Some(day) => {
            let p = sql.bind(day);
            format!(
                " AND (fm.start_date IS NULL OR fm.start_date <= {p}) \
                 AND (fm.end_date IS NULL OR fm.end_date >= {p})"
            )
        }
        None => String::new(),
    }
}

fn member_of(sql: &mut Sql, org: &str, filter: &Filter) -> String {
    let current = current_cond(sql, filter);
    format!(
        "EXISTS (SELECT 1 FROM membership fm WHERE fm.person_id = t.id AND NOT fm.deleted \
         AND fm.organization_id = {org}{current})"
    )
}

/// One page of a list.
pub(crate) async fn list(tx: &TenantTx, viewer: &Viewer, query: &ListQuery) -> ServiceResult<Page> {
    let kind = query.kind;
    let first = query.first.clamp(1, MAX_PAGE_SIZE) as usize;
    let key = sort_key(kind, query.sort);
    let descending = key.descending != query.descending;
    let table = kind.table();

    let mut sql = Sql::new(format!("FROM {table} t WHERE true"));
    conditions(kind, &query.filter, viewer, &mut sql)?;
    let count = count(tx, &sql).await?;

    if let Some(after) = &query.after {
        let (value, id) = decode_cursor(after)?;
        check_cursor_value(&value, key.sql_type)?;
        let (v, i) = (sql.bind(value), sql.bind(id));
        let op = if descending { "<" } else { ">" };
        let cond = format!(
            " AND ({expr}, t.id) {op} ({v}::{ty}, {i}::uuid)",
            expr = key.expr,
            ty = key.sql_type
        );
        sql.text.push_str(&cond);
    }
    let dir = if descending { "DESC" } else { "ASC" };
    let limit = sql.bind((first + 1) as i64);
    sql.text = format!(
        "SELECT to_jsonb(t) AS j, ({expr})::text AS sort_value {from} ORDER BY {expr} {dir}, t.id {dir} LIMIT {limit}",
        expr = key.expr,
        from = sql.text
    );
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql.text, sql.values);
    let rows = tx.conn().query_all_raw(statement).await.map_err(db_error)?;
    let has_next_page = rows.len() > first;
    let mut items = Vec::with_capacity(first);
    let mut cursors = Vec::with_capacity(first);
    for row in rows.iter().take(first) {
        let json: serde_json::Value = row.try_get("", "j").map_err(db_error)?;
        let value: String = row.try_get("", "sort_value").map_err(db_error)?;
        let mut object = Object::from_row(kind, json)
            .map_err(|e| ServiceError::internal(format!("a {table} row does not decode: {e}")))?;
        cursors.push(encode_cursor(&value, object.id()));
        visibility::redact(viewer, &mut object);
        items.push(object);
    }
    hide_references(tx, viewer, &mut items).await?;
    Ok(Page {
        items,
        cursors,
        has_next_page,
        total_count: count,
    })
}

async fn count(tx: &TenantTx, from: &Sql) -> ServiceResult<i64> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT count(*) AS n {}", from.text),
        from.values.clone(),
    );
    let row = tx
        .conn()
        .query_one_raw(statement)
        .await
        .map_err(db_error)?
        .ok_or_else(|| ServiceError::internal("count returned no row"))?;
    row.try_get::<i64>("", "n").map_err(db_error)
}

fn check_batch(ids: &[Uuid]) -> ServiceResult<()> {
    if ids.len() > MAX_BATCH {
        return Err(ServiceError::validation(
            "ids",
            format!("at most {MAX_BATCH} ids per call"),
        ));
    }
    Ok(())
}

/// Objects by id, tombstones included, invisible ones left out.
pub(crate) async fn load(
    tx: &TenantTx,
    viewer: &Viewer,
    kind: Kind,
    ids: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    check_batch(ids)?;
    finish(tx, visible_rows(tx, viewer, kind, ids).await?, viewer).await
}

/// The rows among `ids` that `viewer` may see, as stored (not yet redacted).
async fn visible_rows(
    tx: &TenantTx,
    viewer: &Viewer,
    kind: Kind,
    ids: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(ids));
    sql.text = format!(
        "SELECT to_jsonb(t) AS j FROM {} t WHERE t.id = ANY({p}::uuid[])",
        kind.table()
    );
    if let Some(cond) = visibility::condition(viewer, kind) {
        sql.text.push_str(&format!(" AND {cond}"));
    }
    store::fetch(tx, kind, sql).await
}

async fn finish(
    tx: &TenantTx,
    mut objects: Vec<Object>,
    viewer: &Viewer,
) -> ServiceResult<Vec<Object>> {
    for object in &mut objects {
        visibility::redact(viewer, object);
    }
    hide_references(tx, viewer, &mut objects).await?;
    Ok(objects)
}

/// Drops references to objects the viewer may not see: even an id tells that a hidden paper
/// exists. Papers point at papers (related, main paper), agenda items at consultations; the
/// other references point at kinds the public always sees or are already conditions of the
/// row's own visibility.
async fn hide_references(
    tx: &TenantTx,
    viewer: &Viewer,
    objects: &mut [Object],
) -> ServiceResult<()> {
    if viewer.sees_all() {
        return Ok(());
    }
    let mut papers = Vec::new();
    let mut consultations = Vec::new();
    for object in objects.iter() {
        match object {
            Object::Paper(p) => {
                papers.extend(&p.fields.related_paper_ids);
                papers.extend(p.fields.main_paper_id);
            }
            Object::AgendaItem(a) => consultations.extend(a.fields.consultation_id),
            _ => {}
        }
    }
    let visible = |kind, ids: Vec<Uuid>| async move {
        let rows = visible_rows(tx, viewer, kind, &ids).await?;
        Ok::<_, ServiceError>(rows.iter().map(Object::id).collect::<HashSet<Uuid>>())
    };
    let papers = visible(Kind::Paper, papers).await?;
    let consultations = visible(Kind::Consultation, consultations).await?;
    for object in objects.iter_mut() {
        match object {
            Object::Paper(p) => {
                p.fields.related_paper_ids.retain(|id| papers.contains(id));
                p.fields.main_paper_id = p.fields.main_paper_id.filter(|id| papers.contains(id));
            }
            Object::AgendaItem(a) => {
                a.fields.consultation_id = a
                    .fields
                    .consultation_id
                    .filter(|id| consultations.contains(id));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Live children of many parents, in the relation's natural order.
pub(crate) async fn related(
    tx: &TenantTx,
    viewer: &Viewer,
    relation: Relation,
    parents: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    check_batch(parents)?;
    if parents.is_empty() {
        return Ok(Vec::new());
    }
    let (kind, column, order) = match relation {
        Relation::MeetingAgenda => (Kind::AgendaItem, "meeting_id", "t.position, t.id"),
        Relation::PaperConsultations => (Kind::Consultation, "paper_id", "t.position, t.id"),
        Relation::PaperSupplements => (Kind::Paper, "main_paper_id", "t.reference"),
        Relation::PersonMemberships => (Kind::Membership, "person_id", "t.start_date, t.id"),
        Relation::OrganizationMemberships => {
            (Kind::Membership, "organization_id", "t.start_date, t.id")
        }
        Relation::OwnedFiles => (Kind::File, "owner_id", "t.file_role, t.name, t.id"),
    };
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(parents));
    sql.text = format!(
        "SELECT to_jsonb(t) AS j FROM {} t WHERE t.{column} = ANY({p}::uuid[]) AND NOT t.deleted",
        kind.table()
    );
    if let Some(cond) = visibility::condition(viewer, kind) {
        sql.text.push_str(&format!(" AND {cond}"));
    }
    sql.text.push_str(&format!(" ORDER BY {order}"));
    finish(tx, store::fetch(tx, kind, sql).await?, viewer).await
}
