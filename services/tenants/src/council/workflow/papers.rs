//! A paper before release: its template, its text in sections, the statements, co-signs and
//! sign-off, release and withdrawal, and the work list of everyone who is waited for.

use super::super::model::{Kind, Object, OrganizationKind, Paper, ReleaseState};
use super::super::service::{not_found, replace_in};
use super::super::store::{self, Sql, uuid_array};
use super::{
    Ctx, PaperWorkflow, Section, Step, StepDecision, Template, WorkItem, WorkList, conflict, exec,
    one, required_text, rows,
};
use chrono::NaiveDate;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_visibility::Operation;
use serde_json::json;
use uuid::Uuid;

const MAX_SECTIONS: usize = 30;
const MAX_SECTION_CHARS: usize = 100_000;
const MAX_STEPS: usize = 30;

/// The order of the phases within a round.
fn phase(kind: &str) -> u8 {
    match kind {
        "statement" => 0,
        "cosign" => 1,
        _ => 2,
    }
}

/// Marks the open steps that wait for nobody: statements at once, then co-signs one after
/// the other, then the sign-off. `steps` are one round's.
fn mark_actionable(steps: &mut [Step]) {
    let undecided: Vec<(u8, i32)> = steps
        .iter()
        .filter(|s| s.state == "open")
        .map(|s| (phase(&s.step_kind), s.position))
        .collect();
    for step in steps.iter_mut() {
        let me = (phase(&step.step_kind), step.position);
        step.actionable = step.state == "open"
            && undecided.iter().all(|other| {
                // Statements run side by side; everything else waits for all before it.
                *other >= me || (other.0 == 0 && me.0 == 0)
            });
    }
}

pub(crate) async fn templates(ctx: &Ctx<'_>) -> ServiceResult<Vec<Template>> {
    if !ctx.viewer.is_staff() {
        return Err(ServiceError::forbidden(
            "paper templates are for the administration",
        ));
    }
    rows(
        ctx.tx,
        Sql::new(
            "SELECT jsonb_build_object('paper_type', paper_type, 'sections', sections, \
             'cosign_departments', to_jsonb(cosign_departments), \
             'signoff_department', signoff_department) AS j \
             FROM paper_template ORDER BY paper_type",
        ),
    )
    .await
}

async fn template(tx: &TenantTx, paper_type: &str) -> ServiceResult<Option<Template>> {
    let mut sql = Sql::default();
    let p = sql.bind(paper_type.to_owned());
    sql.text = format!(
        "SELECT jsonb_build_object('paper_type', paper_type, 'sections', sections, \
         'cosign_departments', to_jsonb(cosign_departments), \
         'signoff_department', signoff_department) AS j \
         FROM paper_template WHERE paper_type = {p}"
    );
    one(tx, sql).await
}

/// Refuses ids that are not live departments, naming the field.
async fn ensure_departments(tx: &TenantTx, field: &str, ids: &[Uuid]) -> ServiceResult<()> {
    let found = store::live_objects(tx, Kind::Organization, ids).await?;
    for id in ids {
        let ok = found.iter().any(|o| match o {
            Object::Organization(org) => {
                org.meta.id == *id && org.fields.organization_kind == OrganizationKind::Department
            }
            _ => false,
        });
        if !ok {
            return Err(ServiceError::validation(
                field,
                format!("{id} is not a department (organization of kind department)"),
            ));
        }
    }
    Ok(())
}

pub(crate) async fn set_template(ctx: &Ctx<'_>, t: Template) -> ServiceResult<Template> {
    ctx.require(Operation::WriteMasterData, "changing paper templates")?;
    let types = super::super::service::paper_types(ctx.tx).await?;
    if !types.contains(&t.paper_type) {
        return Err(ServiceError::validation(
            "paperType",
            format!(
                "{:?} is not one of the tenant's paper types ({})",
                t.paper_type,
                types.join(", ")
            ),
        ));
    }
    if t.sections.len() > MAX_SECTIONS {
        return Err(ServiceError::validation(
            "sections",
            format!("at most {MAX_SECTIONS} sections"),
        ));
    }
    let sections = t
        .sections
        .iter()
        .map(|h| one_line("sections", h, 200))
        .collect::<ServiceResult<Vec<_>>>()?;
    ensure_departments(ctx.tx, "cosignDepartments", &t.cosign_departments).await?;
    ensure_departments(ctx.tx, "signoffDepartment", t.signoff_department.as_slice()).await?;
    let template = Template { sections, ..t };
    let before = template_row(ctx.tx, &template.paper_type).await?;
    let mut sql = Sql::default();
    let v = [
        sql.bind(template.paper_type.clone()),
        sql.bind(json!(template.sections)),
        sql.bind(uuid_array(&template.cosign_departments)),
        sql.bind(template.signoff_department),
    ];
    sql.text = format!(
        "INSERT INTO paper_template (paper_type, sections, cosign_departments, signoff_department) \
         VALUES ({}, {}::jsonb, {}::uuid[], {}) ON CONFLICT (paper_type) DO UPDATE SET \
         sections = EXCLUDED.sections, cosign_departments = EXCLUDED.cosign_departments, \
         signoff_department = EXCLUDED.signoff_department, modified_at = now()",
        v[0], v[1], v[2], v[3]
    );
    exec(ctx.tx, sql).await?;
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, template.paper_type.as_bytes());
    ctx.record(
        "paper_template",
        id,
        "changed",
        before,
        serde_json::to_value(&template).map_err(ServiceError::internal)?,
    )
    .await?;
    Ok(template)
}

async fn template_row(tx: &TenantTx, paper_type: &str) -> ServiceResult<Option<serde_json::Value>> {
    Ok(template(tx, paper_type)
        .await?
        .map(|t| serde_json::to_value(t).unwrap_or_default()))
}

/// A heading or other one-line text: no line breaks or other control characters.
fn one_line(field: &str, value: &str, max: usize) -> ServiceResult<String> {
    let value = required_text(field, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            field,
            "may not contain line breaks or other control characters",
        ));
    }
    Ok(value)
}

/// The live paper `id` as the caller sees it, locked; hidden ones are NOT_FOUND.
async fn paper(ctx: &Ctx<'_>, id: Uuid) -> ServiceResult<Paper> {
    super::live(ctx, Kind::Paper, id).await
}

/// Checks that the caller may change `paper`'s workflow: by role, and authors only in their
/// own departments.
fn may_write(ctx: &Ctx<'_>, paper: &Paper, what: &str) -> ServiceResult<()> {
    ctx.require(Operation::WritePaper, what)?;
    let tenant = ctx.tx.scope().tenant_id();
    if plenum_visibility::permissions::only_as_author(ctx.caller, tenant, Operation::WritePaper)
        && !ctx.viewer.in_own_department(paper.fields.department_id)
    {
        return Err(ServiceError::forbidden(
            "authors may only change papers of their own department",
        ));
    }
    Ok(())
}

async fn steps(tx: &TenantTx, paper: Uuid) -> ServiceResult<Vec<Step>> {
    let mut sql = Sql::default();
    let p = sql.bind(paper);
    sql.text = format!(
        "SELECT to_jsonb(s) AS j FROM paper_step s WHERE s.paper_id = {p} \
         ORDER BY s.round, CASE s.step_kind WHEN 'statement' THEN 0 WHEN 'cosign' THEN 1 ELSE 2 END, \
         s.position"
    );
    let mut all: Vec<Step> = rows(tx, sql).await?;
    let last = all.iter().map(|s| s.round).max().unwrap_or(0);
    let earlier = all.iter().take_while(|s| s.round < last).count();
    let (_, current) = all.split_at_mut(earlier);
    mark_actionable(current);
    Ok(all)
}

async fn sections(tx: &TenantTx, paper: Uuid) -> ServiceResult<Vec<Section>> {
    let mut sql = Sql::default();
    let p = sql.bind(paper);
    sql.text = format!(
        "SELECT jsonb_build_object('heading', heading, 'content', content) AS j \
         FROM paper_section WHERE paper_id = {p} ORDER BY position"
    );
    rows(tx, sql).await
}

/// Where the paper stands, from its release state and its current round's steps.
fn stage(release: ReleaseState, steps: &[Step]) -> (&'static str, Option<String>) {
    match release {
        ReleaseState::Released => return ("released", None),
        ReleaseState::Withdrawn => return ("withdrawn", None),
        ReleaseState::Draft => {}
    }
    let Some(last) = steps.iter().map(|s| s.round).max() else {
        return ("draft", None);
    };
    let current: Vec<&Step> = steps.iter().filter(|s| s.round == last).collect();
    if let Some(rejected) = current.iter().find(|s| s.state == "rejected") {
        return ("returned", rejected.answer.clone());
    }
    if current.iter().any(|s| s.state == "open") {
        ("in_review", None)
    } else {
        ("signed", None)
    }
}

async fn workflow_of(
    tx: &TenantTx,
    paper: &Paper,
    show_steps: bool,
) -> ServiceResult<PaperWorkflow> {
    let steps = steps(tx, paper.meta.id).await?;
    let (stage, returned_because) = stage(paper.release_state, &steps);
    Ok(PaperWorkflow {
        paper_id: paper.meta.id,
        stage: stage.to_owned(),
        sections: sections(tx, paper.meta.id).await?,
        steps: if show_steps { steps } else { Vec::new() },
        returned_because: returned_because.filter(|_| show_steps),
    })
}

/// Refuses a change to the paper's text or Beratungsfolge while it is being signed or
/// waits for release: the signatures are for the text the signers saw.
pub(crate) async fn ensure_editable(tx: &TenantTx, paper: Uuid) -> ServiceResult<()> {
    let Some(Object::Paper(p)) = store::any_objects(tx, Kind::Paper, &[paper]).await?.pop() else {
        return Ok(());
    };
    match stage(p.release_state, &steps(tx, paper).await?).0 {
        "in_review" => Err(conflict(format!(
            "paper {} is being signed; it can change again once it is returned or released",
            p.reference
        ))),
        "signed" => Err(conflict(format!(
            "paper {} is signed and waits for release; a change needs a new round of signatures \
             (reject the sign-off to return it)",
            p.reference
        ))),
        _ => Ok(()),
    }
}

pub(crate) async fn view(ctx: &Ctx<'_>, paper_id: Uuid) -> ServiceResult<PaperWorkflow> {
    let loaded = super::super::query::load(ctx.tx, ctx.viewer, Kind::Paper, &[paper_id]).await?;
    let Some(Object::Paper(p)) = loaded.into_iter().next() else {
        return Err(not_found(Kind::Paper, paper_id));
    };
    // Members and the public see the text, not who signed when.
    workflow_of(ctx.tx, &p, ctx.viewer.is_staff()).await
}

pub(crate) async fn write_sections(
    ctx: &Ctx<'_>,
    paper_id: Uuid,
    sections: Vec<Section>,
) -> ServiceResult<PaperWorkflow> {
    ctx.require(Operation::WritePaper, "writing papers")?;
    let paper = paper(ctx, paper_id).await?;
    may_write(ctx, &paper, "writing papers")?;
    ensure_editable(ctx.tx, paper_id).await?;
    if sections.len() > MAX_SECTIONS {
        return Err(ServiceError::validation(
            "sections",
            format!("at most {MAX_SECTIONS} sections"),
        ));
    }
    let mut clean = Vec::with_capacity(sections.len());
    for s in &sections {
        let heading = one_line("sections.heading", &s.heading, 200)?;
        let content = s.content.trim().replace("\r\n", "\n");
        if content.chars().count() > MAX_SECTION_CHARS {
            return Err(ServiceError::validation(
                "sections.content",
                format!("a section may have at most {MAX_SECTION_CHARS} characters"),
            ));
        }
        // Text, never markup: every surface escapes it. Control characters other than line
        // breaks and tabs have no place in it.
        if content
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ServiceError::validation(
                "sections.content",
                "may not contain control characters other than line breaks and tabs",
            ));
        }
        clean.push(Section { heading, content });
    }
    let mut sql = Sql::default();
    let p = sql.bind(paper_id);
    sql.text = format!("DELETE FROM paper_section WHERE paper_id = {p}");
    exec(ctx.tx, sql).await?;
    if !clean.is_empty() {
        let mut sql = Sql::default();
        let (p, list) = (sql.bind(paper_id), sql.bind(json!(clean)));
        sql.text = format!(
            "INSERT INTO paper_section (paper_id, position, heading, content) \
             SELECT {p}, (s.ord - 1)::int, s.v->>'heading', s.v->>'content' \
             FROM jsonb_array_elements({list}::jsonb) WITH ORDINALITY AS s(v, ord)"
        );
        exec(ctx.tx, sql).await?;
    }
    // One text for every surface that reads one (OParl, search, PDFs).
    let body = clean
        .iter()
        .map(|s| format!("{}\n\n{}", s.heading, s.content))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut updated = paper.clone();
    updated.fields.body_text = (!body.is_empty()).then_some(body);
    let current: Object = paper.into();
    let updated = replace_in(ctx.tx, ctx.caller, &current, updated.into()).await?;
    let Object::Paper(updated) = updated else {
        return Err(ServiceError::internal("a paper became another kind"));
    };
    workflow_of(ctx.tx, &updated, true).await
}

pub(crate) async fn submit(
    ctx: &Ctx<'_>,
    paper_id: Uuid,
    statements: &[Uuid],
    due_date: Option<NaiveDate>,
) -> ServiceResult<PaperWorkflow> {
    ctx.require(Operation::WritePaper, "submitting papers")?;
    let paper = paper(ctx, paper_id).await?;
    may_write(ctx, &paper, "submitting papers")?;
    let existing = steps(ctx.tx, paper_id).await?;
    let (stage, _) = stage(paper.release_state, &existing);
    if stage != "draft" && stage != "returned" {
        return Err(conflict(format!(
            "paper {} is {stage}; only a draft or a returned paper can be submitted",
            paper.reference
        )));
    }
    let mut unique = statements.to_vec();
    unique.sort();
    unique.dedup();
    ensure_departments(ctx.tx, "statements", &unique).await?;
    let template = template(ctx.tx, &paper.fields.paper_type).await?;
    let (cosign, signoff) = template
        .map(|t| (t.cosign_departments, t.signoff_department))
        .unwrap_or_default();
    let mut planned: Vec<(&str, i32, Uuid)> = Vec::new();
    planned.extend(
        statements
            .iter()
            .enumerate()
            .map(|(i, d)| ("statement", i as i32, *d)),
    );
    planned.extend(
        cosign
            .iter()
            .enumerate()
            .map(|(i, d)| ("cosign", i as i32, *d)),
    );
    planned.extend(signoff.map(|d| ("signoff", 0, d)));
    if planned.is_empty() {
        return Err(conflict(format!(
            "paper {} has nobody to sign: its type {:?} names no co-signers and no sign-off, and \
             no statement is requested; release it directly",
            paper.reference, paper.fields.paper_type
        )));
    }
    if planned.len() > MAX_STEPS {
        return Err(ServiceError::validation(
            "statements",
            format!("at most {MAX_STEPS} steps per round"),
        ));
    }
    let round = existing.iter().map(|s| s.round).max().unwrap_or(0) + 1;
    let rows_json: Vec<serde_json::Value> = planned
        .iter()
        .map(|(kind, position, department)| {
            json!({ "id": Uuid::new_v4(), "k": kind, "p": position, "d": department })
        })
        .collect();
    let mut sql = Sql::default();
    let v = [
        sql.bind(paper_id),
        sql.bind(round),
        sql.bind(due_date),
        sql.bind(store::now()),
        sql.bind(serde_json::Value::Array(rows_json)),
    ];
    sql.text = format!(
        "INSERT INTO paper_step (id, paper_id, round, step_kind, position, department_id, due_date, \
         state, created_at) SELECT r.id, {}, {}, r.k, r.p, r.d, {}, 'open', {} \
         FROM jsonb_to_recordset({}::jsonb) AS r(id uuid, k text, p int, d uuid)",
        v[0], v[1], v[2], v[3], v[4]
    );
    exec(ctx.tx, sql).await?;
    let workflow = workflow_of(ctx.tx, &paper, true).await?;
    ctx.record(
        "paper",
        paper_id,
        "submitted",
        None,
        json!({ "round": round, "steps": workflow.steps.iter().filter(|s| s.round == round).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(workflow)
}

pub(crate) async fn decide(
    ctx: &Ctx<'_>,
    step_id: Uuid,
    decision: StepDecision,
    text: Option<String>,
) -> ServiceResult<PaperWorkflow> {
    ctx.require(Operation::DecidePaperStep, "signing papers")?;
    let mut sql = Sql::default();
    let p = sql.bind(step_id);
    sql.text = format!("SELECT to_jsonb(s) AS j FROM paper_step s WHERE s.id = {p} FOR UPDATE");
    let Some(step): Option<Step> = one(ctx.tx, sql).await? else {
        return Err(ServiceError::new(
            plenum_errors::ErrorCode::NotFound,
            format!("no paper step with id {step_id}"),
        ));
    };
    let tenant = ctx.tx.scope().tenant_id();
    if plenum_visibility::permissions::only_for_own_departments(
        ctx.caller,
        tenant,
        Operation::DecidePaperStep,
    ) && !ctx.departments().await?.contains(&step.department_id)
    {
        return Err(ServiceError::forbidden(
            "this step belongs to another department; only its own people sign for it",
        ));
    }
    // The paper row is locked first: two signers of one paper queue here.
    let Some(Object::Paper(paper)) = store::lock(ctx.tx, Kind::Paper, step.paper_id).await? else {
        return Err(not_found(Kind::Paper, step.paper_id));
    };
    let all = steps(ctx.tx, paper.meta.id).await?;
    let current = all
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| ServiceError::internal("the step vanished"))?;
    if current.state != "open" {
        return Err(conflict(format!("this step is {} already", current.state)));
    }
    if !current.actionable {
        return Err(conflict(
            "this step waits for the steps before it (statements, then co-signs in order, then \
             the sign-off)",
        ));
    }
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 20_000) {
        return Err(ServiceError::validation("text", "at most 20000 characters"));
    }
    let state = match (decision, step.step_kind.as_str(), &text) {
        (StepDecision::Reject, _, None) => {
            return Err(ServiceError::validation(
                "text",
                "a rejection needs the reason, for the author",
            ));
        }
        (StepDecision::Reject, _, Some(_)) => "rejected",
        (StepDecision::NoObjection, "statement", _) => "no_objection",
        (StepDecision::NoObjection, _, _) => {
            return Err(ServiceError::validation(
                "decision",
                "\"no objection\" answers a statement request; co-signs and sign-offs approve or reject",
            ));
        }
        (StepDecision::Approve, "statement", None) => {
            return Err(ServiceError::validation(
                "text",
                "a statement needs its text, or answer \"no objection\"",
            ));
        }
        (StepDecision::Approve, _, _) => "approved",
    };
    let mut sql = Sql::default();
    let v = [
        sql.bind(state),
        sql.bind(text.clone()),
        sql.bind(ctx.caller.subject().to_owned()),
        sql.bind(ctx.actor_name()),
        sql.bind(store::now()),
        sql.bind(step_id),
    ];
    sql.text = format!(
        "UPDATE paper_step SET state = {}, answer = {}, decided_by = {}, decided_by_name = {}, \
         decided_at = {} WHERE id = {}",
        v[0], v[1], v[2], v[3], v[4], v[5]
    );
    exec(ctx.tx, sql).await?;
    if state == "rejected" {
        // The round ends: the others need not answer a text that will change.
        let mut sql = Sql::default();
        let (p, r) = (sql.bind(paper.meta.id), sql.bind(step.round));
        sql.text = format!(
            "UPDATE paper_step SET state = 'cancelled' WHERE paper_id = {p} AND round = {r} \
             AND state = 'open'"
        );
        exec(ctx.tx, sql).await?;
    }
    ctx.record(
        "paper_step",
        step_id,
        state,
        Some(serde_json::to_value(current).map_err(ServiceError::internal)?),
        json!({ "state": state, "answer": text, "decided_by": ctx.actor_name() }),
    )
    .await?;
    workflow_of(ctx.tx, &paper, true).await
}

pub(crate) async fn release(ctx: &Ctx<'_>, paper_id: Uuid) -> ServiceResult<Object> {
    ctx.require(Operation::WritePaper, "releasing papers")?;
    let paper = paper(ctx, paper_id).await?;
    may_write(ctx, &paper, "releasing papers")?;
    let steps = steps(ctx.tx, paper_id).await?;
    let needs_signatures = template(ctx.tx, &paper.fields.paper_type)
        .await?
        .is_some_and(|t| !t.cosign_departments.is_empty() || t.signoff_department.is_some());
    match stage(paper.release_state, &steps).0 {
        "signed" => {}
        "draft" if !needs_signatures => {}
        other => {
            return Err(conflict(format!(
                "paper {} is {other}; it can be released once every co-sign and the sign-off are \
                 given",
                paper.reference
            )));
        }
    }
    let mut released = paper.clone();
    released.release_state = ReleaseState::Released;
    replace_in(ctx.tx, ctx.caller, &paper.into(), released.into()).await
}

pub(crate) async fn withdraw(ctx: &Ctx<'_>, paper_id: Uuid, reason: &str) -> ServiceResult<Object> {
    ctx.require(Operation::WritePaper, "withdrawing papers")?;
    let paper = paper(ctx, paper_id).await?;
    may_write(ctx, &paper, "withdrawing papers")?;
    let reason = required_text("reason", reason, 2000)?;
    if paper.release_state == ReleaseState::Withdrawn {
        return Err(conflict(format!(
            "paper {} is withdrawn already",
            paper.reference
        )));
    }
    let mut sql = Sql::default();
    let p = sql.bind(paper_id);
    sql.text = format!(
        "UPDATE paper_step SET state = 'cancelled' WHERE paper_id = {p} AND state = 'open'"
    );
    exec(ctx.tx, sql).await?;
    ctx.note("paper", paper_id, "withdrawn", &reason).await?;
    let mut withdrawn = paper.clone();
    withdrawn.release_state = ReleaseState::Withdrawn;
    replace_in(ctx.tx, ctx.caller, &paper.into(), withdrawn.into()).await
}

/// What waits for the caller's departments.
pub(crate) async fn work_list(ctx: &Ctx<'_>) -> ServiceResult<WorkList> {
    if !ctx.viewer.is_staff() {
        return Ok(WorkList::default());
    }
    let departments = ctx.departments().await?;
    if departments.is_empty() {
        return Ok(WorkList::default());
    }
    let deps = uuid_array(&departments);
    // Papers with an open step of one of the caller's departments.
    let mut sql = Sql::default();
    let p = sql.bind(deps.clone());
    sql.text = format!(
        "SELECT DISTINCT to_jsonb(s.paper_id) AS j FROM paper_step s \
         WHERE s.state = 'open' AND s.department_id = ANY({p}::uuid[])"
    );
    let waiting: Vec<Uuid> = rows(ctx.tx, sql).await?;
    let papers = store::live_objects(ctx.tx, Kind::Paper, &waiting).await?;
    let mut list = WorkList::default();
    for object in papers {
        let Object::Paper(p) = object else { continue };
        for step in steps(ctx.tx, p.meta.id).await? {
            if step.actionable && departments.contains(&step.department_id) {
                list.steps.push(WorkItem {
                    paper_id: p.meta.id,
                    reference: p.reference.clone(),
                    title: p.fields.title.clone(),
                    // Signers read what they sign here, whatever their role lets them open.
                    sections: sections(ctx.tx, p.meta.id).await?,
                    step,
                });
            }
        }
    }
    list.steps
        .sort_by(|a, b| (a.step.due_date, &a.reference).cmp(&(b.step.due_date, &b.reference)));
    // Returned drafts of the caller's departments.
    let mut sql = Sql::default();
    let p = sql.bind(deps.clone());
    sql.text = format!(
        "SELECT to_jsonb(t) AS j FROM paper t WHERE NOT t.deleted AND t.release_state = 'draft' \
         AND t.department_id = ANY({p}::uuid[]) AND EXISTS (SELECT 1 FROM paper_step s \
         WHERE s.paper_id = t.id AND s.state = 'rejected' AND s.round = (SELECT max(round) \
         FROM paper_step x WHERE x.paper_id = t.id)) ORDER BY t.reference"
    );
    let returned: Vec<Uuid> = store::fetch(ctx.tx, Kind::Paper, sql)
        .await?
        .iter()
        .map(Object::id)
        .collect();
    // Only what the visibility rule lets the caller read: a draft is its authors' and the
    // clerks', not every staff member's of the department.
    for object in super::super::query::load(ctx.tx, ctx.viewer, Kind::Paper, &returned).await? {
        if let Object::Paper(p) = object {
            list.returned.push(workflow_of(ctx.tx, &p, true).await?);
        }
    }
    list.tasks = super::session::department_tasks(ctx.tx, &departments).await?;
    list.extracts = super::session::department_extracts(ctx.tx, &departments).await?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: &str, position: i32, state: &str) -> Step {
        Step {
            id: Uuid::new_v4(),
            paper_id: Uuid::nil(),
            round: 1,
            step_kind: kind.to_owned(),
            position,
            department_id: Uuid::nil(),
            due_date: None,
            state: state.to_owned(),
            answer: None,
            decided_by_name: None,
            decided_at: None,
            actionable: false,
        }
    }

    fn actionable(steps: &mut [Step]) -> Vec<bool> {
        mark_actionable(steps);
        steps.iter().map(|s| s.actionable).collect()
    }

    #[test]
    fn statements_run_side_by_side_and_co_signs_one_after_the_other() {
        let mut steps = vec![
            step("statement", 0, "open"),
            step("statement", 1, "open"),
            step("cosign", 0, "open"),
            step("cosign", 1, "open"),
            step("signoff", 0, "open"),
        ];
        assert_eq!(actionable(&mut steps), [true, true, false, false, false]);
        steps[0].state = "no_objection".into();
        steps[1].state = "approved".into();
        assert_eq!(actionable(&mut steps), [false, false, true, false, false]);
        steps[2].state = "approved".into();
        assert_eq!(actionable(&mut steps), [false, false, false, true, false]);
        steps[3].state = "approved".into();
        assert_eq!(actionable(&mut steps), [false, false, false, false, true]);
    }

    #[test]
    fn a_rejection_returns_the_paper_with_its_reason() {
        let mut rejected = step("cosign", 0, "rejected");
        rejected.answer = Some("Deckung fehlt".into());
        let steps = vec![
            step("statement", 0, "approved"),
            rejected,
            step("signoff", 0, "cancelled"),
        ];
        assert_eq!(
            stage(ReleaseState::Draft, &steps),
            ("returned", Some("Deckung fehlt".to_owned()))
        );
        let mut next = step("cosign", 0, "open");
        next.round = 2;
        let mut again = steps.clone();
        again.push(next);
        assert_eq!(stage(ReleaseState::Draft, &again).0, "in_review");
        assert_eq!(stage(ReleaseState::Draft, &[]).0, "draft");
        assert_eq!(stage(ReleaseState::Released, &again).0, "released");
    }
}
