-- The Sitzungsdienst of one tenant (migration tenants_0006_sitzungsdienst): paper templates,
-- the sign-off workflow, attendance, minutes, extracts and decision tracking. The council
-- objects (paper, meeting, agenda item, consultation) keep their states; these tables hold
-- the steps that lead to them.

-- The audit log also records workflow steps.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CHECK (action IN ('create', 'update', 'delete', 'import', 'workflow'));

-- Per paper type: the sections of its text and who must co-sign and sign off before release.
CREATE TABLE paper_template (
    paper_type   text PRIMARY KEY CHECK (length(paper_type) BETWEEN 1 AND 100),
    -- ["Sachverhalt", "Beschlussvorschlag", …]: the headings, in order.
    sections     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sections) = 'array'),
    -- Department ids that co-sign (Mitzeichnung), in this order.
    cosign_departments uuid[] NOT NULL DEFAULT '{}',
    -- The department whose head signs last (Endunterzeichnung); none: no sign-off step.
    signoff_department uuid REFERENCES organization (id),
    modified_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO paper_template (paper_type, sections) VALUES
    ('Beschlussvorlage', '["Sachverhalt", "Beschlussvorschlag", "Finanzielle Auswirkungen"]'),
    ('Mitteilungsvorlage', '["Sachverhalt"]'),
    ('Anfrage', '["Fragen"]'),
    ('Anfragebeantwortung', '["Antworten"]'),
    ('Stellungnahme', '["Stellungnahme"]'),
    ('Antrag', '["Antrag", "Begründung"]');

-- A paper's text, section by section. The paper's body_text is these sections joined, for
-- every surface that reads one text (OParl, search, PDFs).
CREATE TABLE paper_section (
    paper_id uuid NOT NULL REFERENCES paper (id),
    position integer NOT NULL CHECK (position >= 0),
    heading  text NOT NULL CHECK (length(heading) BETWEEN 1 AND 200),
    content  text NOT NULL CHECK (length(content) <= 100000),
    PRIMARY KEY (paper_id, position)
);

-- The steps before release. A submission opens a round; a rejection ends it and the author
-- submits again (round + 1). Statements run side by side, then co-signs in position order,
-- then the sign-off.
CREATE TABLE paper_step (
    id            uuid PRIMARY KEY,
    paper_id      uuid NOT NULL REFERENCES paper (id),
    round         integer NOT NULL CHECK (round >= 1),
    step_kind     text NOT NULL CHECK (step_kind IN ('statement', 'cosign', 'signoff')),
    position      integer NOT NULL CHECK (position >= 0),
    department_id uuid NOT NULL REFERENCES organization (id),
    due_date      date,
    state         text NOT NULL CHECK (state IN ('open', 'approved', 'no_objection', 'rejected',
                                                'cancelled')),
    -- The statement, or the reason of a rejection.
    answer        text CHECK (length(answer) <= 20000),
    decided_by    text,
    decided_by_name text,
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL,
    CHECK ((state = 'open') = (decided_at IS NULL) OR state = 'cancelled')
);
CREATE INDEX paper_step_paper ON paper_step (paper_id, round);
CREATE INDEX paper_step_open ON paper_step (department_id) WHERE state = 'open';

-- Who came to a meeting.
CREATE TABLE attendance (
    meeting_id   uuid NOT NULL REFERENCES meeting (id),
    person_id    uuid NOT NULL REFERENCES person (id),
    status       text NOT NULL CHECK (status IN ('present', 'excused', 'absent')),
    arrived_at   timestamptz,
    left_at      timestamptz CHECK (left_at > arrived_at),
    -- The agenda items at which the person arrived late or left early.
    arrived_item_id uuid REFERENCES agenda_item (id),
    left_item_id uuid REFERENCES agenda_item (id),
    note         text CHECK (length(note) <= 1000),
    -- Set when the person reported absence and a substitute was asked.
    substitute_invited boolean NOT NULL DEFAULT false,
    modified_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, person_id)
);

-- Minutes, one row per version. A correction of approved minutes is a new version with a
-- reason; an approved version never changes again (the trigger below, not only the code).
CREATE TABLE minutes (
    meeting_id    uuid NOT NULL REFERENCES meeting (id),
    version       integer NOT NULL CHECK (version >= 1),
    state         text NOT NULL CHECK (state IN ('draft', 'approved')),
    -- The public part and the non-public part, each shown only to those who may see it.
    public_content text NOT NULL CHECK (length(public_content) <= 1000000),
    closed_content text NOT NULL CHECK (length(closed_content) <= 1000000),
    reason        text CHECK (length(reason) <= 2000),
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    approved_at   timestamptz,
    approved_by   text,
    -- The meeting in which the council approved them.
    approved_in_meeting_id uuid REFERENCES meeting (id),
    -- SHA-512 (hex) of the approved PDF, recorded once after approval: the whole minutes
    -- (for members and staff) and the public version (what the public downloads).
    pdf_sha512    text CHECK (pdf_sha512 ~ '^[0-9a-f]{128}$'),
    pdf_file_id   uuid,
    public_pdf_sha512 text CHECK (public_pdf_sha512 ~ '^[0-9a-f]{128}$'),
    public_pdf_file_id uuid,
    PRIMARY KEY (meeting_id, version),
    CHECK ((state = 'approved') = (approved_at IS NOT NULL))
);
CREATE INDEX minutes_pdf ON minutes (pdf_sha512) WHERE pdf_sha512 IS NOT NULL;
CREATE INDEX minutes_public_pdf ON minutes (public_pdf_sha512) WHERE public_pdf_sha512 IS NOT NULL;

CREATE FUNCTION minutes_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state = 'approved' THEN
            RAISE EXCEPTION 'approved minutes cannot be deleted' USING ERRCODE = 'P0001',
                HINT = 'plenum:minutes_locked';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state = 'approved' THEN
        -- The one change after approval: the checksums of the approved PDFs, each once.
        IF (OLD.pdf_sha512 IS NULL OR NEW.pdf_sha512 IS NOT DISTINCT FROM OLD.pdf_sha512)
           AND (OLD.pdf_file_id IS NULL OR NEW.pdf_file_id IS NOT DISTINCT FROM OLD.pdf_file_id)
           AND (OLD.public_pdf_sha512 IS NULL
                OR NEW.public_pdf_sha512 IS NOT DISTINCT FROM OLD.public_pdf_sha512)
           AND (OLD.public_pdf_file_id IS NULL
                OR NEW.public_pdf_file_id IS NOT DISTINCT FROM OLD.public_pdf_file_id)
           AND (NEW.meeting_id, NEW.version, NEW.state, NEW.public_content, NEW.closed_content, NEW.reason, NEW.created_at,
                NEW.created_by, NEW.approved_at, NEW.approved_by, NEW.approved_in_meeting_id)
               IS NOT DISTINCT FROM
               (OLD.meeting_id, OLD.version, OLD.state, OLD.public_content, OLD.closed_content, OLD.reason, OLD.created_at,
                OLD.created_by, OLD.approved_at, OLD.approved_by, OLD.approved_in_meeting_id)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'approved minutes are locked; a correction is a new version'
            USING ERRCODE = 'P0001', HINT = 'plenum:minutes_locked';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER minutes_locked BEFORE UPDATE OR DELETE ON minutes
    FOR EACH ROW EXECUTE FUNCTION minutes_locked();
-- TRUNCATE skips row triggers.
CREATE TRIGGER minutes_no_truncate BEFORE TRUNCATE ON minutes
    FOR EACH STATEMENT EXECUTE FUNCTION minutes_locked();

-- Extracts (Auszüge) sent to the department in charge of an item's paper.
CREATE TABLE extract (
    id             uuid PRIMARY KEY,
    agenda_item_id uuid NOT NULL REFERENCES agenda_item (id),
    department_id  uuid REFERENCES organization (id),
    file_id        uuid,
    created_at     timestamptz NOT NULL,
    created_by     text NOT NULL
);
CREATE INDEX extract_department ON extract (department_id, created_at);

-- Decision tracking (Beschlusscontrolling).
CREATE TABLE decision_task (
    id             uuid PRIMARY KEY,
    agenda_item_id uuid NOT NULL REFERENCES agenda_item (id),
    department_id  uuid NOT NULL REFERENCES organization (id),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    owner          text CHECK (length(owner) <= 300),
    due_date       date NOT NULL,
    percent        integer NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    progress_text  text CHECK (length(progress_text) <= 10000),
    created_at     timestamptz NOT NULL,
    modified_at    timestamptz NOT NULL,
    completed_at   timestamptz,
    CHECK ((percent = 100) = (completed_at IS NOT NULL))
);
CREATE INDEX decision_task_item ON decision_task (agenda_item_id);
CREATE INDEX decision_task_open ON decision_task (due_date) WHERE completed_at IS NULL;

CREATE TABLE task_report (
    task_id  uuid NOT NULL REFERENCES decision_task (id),
    seq      integer NOT NULL,
    at       timestamptz NOT NULL,
    percent  integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    text     text NOT NULL CHECK (length(text) <= 10000),
    reported_by text NOT NULL,
    PRIMARY KEY (task_id, seq)
);

-- Recorded reasons: a late invitation, a withdrawal.
CREATE TABLE workflow_note (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    object_kind text NOT NULL,
    object_id   uuid NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    reason      text CHECK (length(reason) <= 2000)
);
CREATE INDEX workflow_note_object ON workflow_note (object_id);

INSERT INTO settings (key, value) VALUES
    -- Rules of procedure: invitations reach members this many days before a meeting
    -- ('calendar', 'working' Mon–Fri or 'werktage' Mon–Sat, without public holidays).
    ('procedure.invitation_days', '7'),
    ('procedure.invitation_rule', 'calendar'),
    -- Public announcement of the meeting (calendar days).
    ('procedure.announcement_days', '7'),
    -- Quorum: more than this share of the voting members present.
    ('procedure.quorum_percent', '50'),
    -- Meetings without an end are taken to last this long for room bookings.
    ('procedure.default_duration_minutes', '180'),
    -- Standing agenda items: "start:" before the papers, "end:" after the public ones.
    ('agenda.standing_items', 'start:Eröffnung der Sitzung, Feststellung der ordnungsgemäßen Einladung und der Beschlussfähigkeit|start:Genehmigung der Niederschrift der letzten Sitzung|end:Mitteilungen der Verwaltung|end:Anfragen');
