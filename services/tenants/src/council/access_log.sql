-- Every read of non-public council content by a person (BRIEF §3, identity issue): who, when,
-- what and from where. Tenant admins query it; nothing in Plenum updates or deletes rows.
CREATE TABLE access_log (
    seq         bigserial PRIMARY KEY,
    read_at     timestamptz NOT NULL DEFAULT now(),
    subject     text NOT NULL,
    name        text,
    roles       text NOT NULL,
    origin      text,
    object_kind text NOT NULL,
    object_id   uuid NOT NULL
);
CREATE INDEX access_log_object ON access_log (object_id, seq);
CREATE INDEX access_log_subject ON access_log (subject, seq);

INSERT INTO settings (key, value) VALUES ('visibility.nonpublic_to_all_members', 'false')
ON CONFLICT (key) DO NOTHING;
