-- The documents service's tables in a tenant schema (BRIEF §5: it keeps files, versions,
-- extracted text and its access log; the council's `file` rows mirror the current version).

-- One row per file that has bytes; locked to number its versions.
CREATE TABLE doc_file (
    file_id         uuid PRIMARY KEY,
    current_version integer NOT NULL CHECK (current_version >= 1),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every version ever stored; a new version never replaces an old one.
CREATE TABLE doc_version (
    file_id     uuid NOT NULL REFERENCES doc_file ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    -- Where the bytes are now: the staging key until `stored`, then the version key.
    storage_key text NOT NULL CHECK (length(storage_key) <= 300),
    stored      boolean NOT NULL DEFAULT false,
    -- The council's file row shows this version's size, checksum and type.
    synced      boolean NOT NULL DEFAULT false,
    size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
    sha512      text NOT NULL CHECK (sha512 ~ '^[0-9a-f]{128}$'),
    file_type   text NOT NULL,
    mime_type   text NOT NULL,
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    -- The council file row to create for the first version of a new file, kept until the
    -- council shows it, so that an upload interrupted in between can still be finished.
    new_file    jsonb,
    PRIMARY KEY (file_id, version)
);
CREATE INDEX doc_version_unfinished ON doc_version (created_at) WHERE NOT (stored AND synced);

-- Text extracted from a version, for search and OParl `File.text`.
CREATE TABLE doc_text (
    file_id      uuid NOT NULL,
    version      integer NOT NULL,
    state        text NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'unsupported')),
    body         text,
    error        text,
    truncated    boolean NOT NULL DEFAULT false,
    extracted_at timestamptz,
    PRIMARY KEY (file_id, version),
    FOREIGN KEY (file_id, version) REFERENCES doc_version ON DELETE CASCADE
);

-- Downloads of non-public files: who, when, which version, from where.
CREATE TABLE doc_access_log (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    subject     text NOT NULL,
    name        text,
    origin      text,
    file_id     uuid NOT NULL,
    version     integer NOT NULL,
    -- `download`, `range` or `link` (a signed link was handed out).
    access      text NOT NULL CHECK (access IN ('download', 'range', 'link'))
);
CREATE INDEX doc_access_log_file ON doc_access_log (file_id, seq);
