-- The council domain of one tenant (migration tenants_0002_council). Column names are the
-- serde names of services/tenants/src/council/model.rs: rows are read with to_jsonb and written
-- with jsonb_populate_record. The service validates with field-named errors; the checks here
-- are the net under it, for every other writer.

CREATE TABLE legislative_term (
    id          uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    modified_at timestamptz NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    start_date  date,
    end_date    date CHECK (end_date >= start_date)
);

CREATE TABLE location (
    id             uuid PRIMARY KEY,
    created_at     timestamptz NOT NULL,
    modified_at    timestamptz NOT NULL,
    deleted        boolean NOT NULL DEFAULT false,
    description    text CHECK (length(description) <= 1000),
    street_address text CHECK (length(street_address) <= 300),
    room           text CHECK (length(room) <= 300),
    postal_code    text CHECK (length(postal_code) <= 20),
    sub_locality   text CHECK (length(sub_locality) <= 300),
    locality       text CHECK (length(locality) <= 300),
    capacity       integer CHECK (capacity >= 0),
    longitude      double precision CHECK (longitude BETWEEN -180 AND 180),
    latitude       double precision CHECK (latitude BETWEEN -90 AND 90)
);

CREATE TABLE organization (
    id                uuid PRIMARY KEY,
    created_at        timestamptz NOT NULL,
    modified_at       timestamptz NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    short_name        text CHECK (length(short_name) <= 100),
    code              text CHECK (length(code) <= 30),
    organization_kind text NOT NULL CHECK (organization_kind IN
                      ('committee', 'faction', 'party', 'department', 'external_body', 'other')),
    classification    text CHECK (length(classification) <= 100),
    start_date        date,
    end_date          date CHECK (end_date >= start_date),
    sort_order        integer NOT NULL DEFAULT 0,
    parent_id         uuid REFERENCES organization (id),
    location_id       uuid REFERENCES location (id),
    website           text CHECK (length(website) <= 2000),
    CHECK (parent_id IS DISTINCT FROM id)
);
-- A code names one live organization: meeting numbers are built from it.
CREATE UNIQUE INDEX organization_code ON organization (code) WHERE code IS NOT NULL AND NOT deleted;
CREATE INDEX organization_parent ON organization (parent_id);

CREATE TABLE person (
    id              uuid PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    modified_at     timestamptz NOT NULL,
    deleted         boolean NOT NULL DEFAULT false,
    title           text CHECK (length(title) <= 100),
    given_name      text CHECK (length(given_name) <= 200),
    family_name     text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 200),
    form_of_address text CHECK (length(form_of_address) <= 100),
    affix           text CHECK (length(affix) <= 100),
    gender          text CHECK (gender IN ('female', 'male', 'other')),
    email           text CHECK (length(email) <= 300),
    phone           text CHECK (length(phone) <= 100),
    status          text CHECK (length(status) <= 300),
    life            text CHECK (length(life) <= 5000),
    life_source     text CHECK (length(life_source) <= 1000),
    location_id     uuid REFERENCES location (id)
);

CREATE TABLE membership (
    id              uuid PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    modified_at     timestamptz NOT NULL,
    deleted         boolean NOT NULL DEFAULT false,
    person_id       uuid NOT NULL REFERENCES person (id),
    organization_id uuid NOT NULL REFERENCES organization (id),
    role            text NOT NULL CHECK (role IN ('chair', 'deputy_chair', 'member', 'substitute',
                                                  'advisory_member', 'citizen_member')),
    voting_right    boolean NOT NULL,
    on_behalf_of_id uuid REFERENCES organization (id),
    start_date      date,
    end_date        date CHECK (end_date >= start_date)
);
CREATE INDEX membership_person ON membership (person_id);
CREATE INDEX membership_organization ON membership (organization_id);
CREATE INDEX membership_on_behalf_of ON membership (on_behalf_of_id);

CREATE TABLE meeting (
    id               uuid PRIMARY KEY,
    created_at       timestamptz NOT NULL,
    modified_at      timestamptz NOT NULL,
    deleted          boolean NOT NULL DEFAULT false,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    organization_ids uuid[] NOT NULL CHECK (cardinality(organization_ids) >= 1),
    start_at         timestamptz NOT NULL,
    end_at           timestamptz CHECK (end_at > start_at),
    location_id      uuid REFERENCES location (id),
    participant_ids  uuid[] NOT NULL DEFAULT '{}',
    number           text NOT NULL UNIQUE,
    state            text NOT NULL CHECK (state IN ('planned', 'invited', 'held', 'cancelled')),
    minutes_state    text NOT NULL CHECK (minutes_state IN ('none', 'draft', 'approved'))
);
CREATE INDEX meeting_start ON meeting (start_at, id);
CREATE INDEX meeting_organizations ON meeting USING gin (organization_ids);

CREATE TABLE paper (
    id                          uuid PRIMARY KEY,
    created_at                  timestamptz NOT NULL,
    modified_at                 timestamptz NOT NULL,
    deleted                     boolean NOT NULL DEFAULT false,
    title                       text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    paper_type                  text NOT NULL CHECK (length(paper_type) BETWEEN 1 AND 100),
    paper_date                  date NOT NULL,
    department_id               uuid REFERENCES organization (id),
    originator_person_ids       uuid[] NOT NULL DEFAULT '{}',
    originator_organization_ids uuid[] NOT NULL DEFAULT '{}',
    body_text                   text CHECK (length(body_text) <= 200000),
    related_paper_ids           uuid[] NOT NULL DEFAULT '{}',
    public                      boolean NOT NULL,
    main_paper_id               uuid REFERENCES paper (id),
    reference                   text NOT NULL UNIQUE,
    release_state               text NOT NULL CHECK (release_state IN ('draft', 'released', 'withdrawn')),
    CHECK (main_paper_id IS DISTINCT FROM id)
);
CREATE INDEX paper_date ON paper (paper_date, id);
CREATE INDEX paper_department ON paper (department_id);
CREATE INDEX paper_main ON paper (main_paper_id);

CREATE TABLE agenda_item (
    id              uuid PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    modified_at     timestamptz NOT NULL,
    deleted         boolean NOT NULL DEFAULT false,
    meeting_id      uuid NOT NULL REFERENCES meeting (id),
    position        integer NOT NULL,
    sub_item        boolean NOT NULL DEFAULT false,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    public          boolean NOT NULL,
    consultation_id uuid,
    result          text CHECK (result IN ('approved', 'approved_amended', 'rejected', 'deferred',
                                           'noted', 'withdrawn')),
    resolution_text text CHECK (length(resolution_text) <= 100000),
    votes_yes       integer CHECK (votes_yes >= 0),
    votes_no        integer CHECK (votes_no >= 0),
    votes_abstain   integer CHECK (votes_abstain >= 0),
    member_votes    jsonb NOT NULL DEFAULT '[]',
    recusal_ids     uuid[] NOT NULL DEFAULT '{}',
    start_at        timestamptz,
    end_at          timestamptz,
    item_order      integer NOT NULL,
    number          text NOT NULL
);
CREATE INDEX agenda_item_meeting ON agenda_item (meeting_id, position);

CREATE TABLE consultation (
    id                 uuid PRIMARY KEY,
    created_at         timestamptz NOT NULL,
    modified_at        timestamptz NOT NULL,
    deleted            boolean NOT NULL DEFAULT false,
    paper_id           uuid NOT NULL REFERENCES paper (id),
    organization_id    uuid NOT NULL REFERENCES organization (id),
    meeting_id         uuid REFERENCES meeting (id),
    agenda_item_id     uuid REFERENCES agenda_item (id),
    role               text NOT NULL CHECK (role IN ('preliminary', 'decision', 'notice', 'hearing')),
    authoritative      boolean NOT NULL,
    position           integer NOT NULL CHECK (position >= 1),
    consultation_state text NOT NULL CHECK (consultation_state IN ('planned', 'scheduled', 'done', 'deferred'))
);
CREATE INDEX consultation_paper ON consultation (paper_id, position);
CREATE INDEX consultation_meeting ON consultation (meeting_id);
-- Deferred: an agenda item and its consultation point at each other, and an import inserts
-- all items before all consultations.
ALTER TABLE agenda_item ADD FOREIGN KEY (consultation_id) REFERENCES consultation (id)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE file (
    id          uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    modified_at timestamptz NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    mime_type   text NOT NULL CHECK (length(mime_type) BETWEEN 3 AND 255),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    sha512      text CHECK (sha512 ~ '^[0-9a-f]{128}$'),
    owner_kind  text NOT NULL CHECK (owner_kind IN ('meeting', 'agenda_item', 'paper')),
    owner_id    uuid NOT NULL,
    file_role   text NOT NULL CHECK (file_role IN ('main', 'attachment', 'invitation',
                          'results_protocol', 'verbatim_protocol', 'resolution')),
    public      boolean NOT NULL,
    file_date   date,
    storage_key text CHECK (length(storage_key) <= 1000)
);
CREATE INDEX file_owner ON file (owner_id);

-- One row per change, written in the change's transaction.
CREATE TABLE audit_log (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
    object_kind text NOT NULL,
    object_id   uuid NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_object ON audit_log (object_id);

-- Number and reference sequences, one row per rendered prefix ("paper:26-", "meeting:BA/2026/").
-- Incrementing locks the row, so concurrent creators queue and never share a number.
CREATE TABLE counters (
    scope text PRIMARY KEY,
    value bigint NOT NULL
);

INSERT INTO settings (key, value) VALUES
    ('numbering.meeting', '{code}/{yyyy}/{seq}'),
    ('numbering.paper', '{yy}-{seq:04}'),
    ('paper.types', 'Beschlussvorlage,Mitteilungsvorlage,Antrag,Anfrage,Anfragebeantwortung,Stellungnahme');
