-- The outgoing mail of one tenant (migration tenants_0005_mail): a persistent queue with one
-- row per recipient and message, and its delivery status.
CREATE TABLE mail_queue (
    id              uuid PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- What the mail is for ('invitation', …) and the object it belongs to.
    purpose         text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 50),
    meeting_id      uuid,
    person_id       uuid,
    to_address      text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
    to_name         text CHECK (length(to_name) <= 300),
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 998),
    body_text       text NOT NULL CHECK (length(body_text) <= 1000000),
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sent', 'deferred', 'bounced')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    -- The server's answer to the last attempt ("250 2.0.0 Ok", "550 5.1.1 unknown user").
    last_response   text,
    sent_at         timestamptz
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE state IN ('queued', 'deferred');
CREATE INDEX mail_queue_meeting ON mail_queue (meeting_id, created_at);
