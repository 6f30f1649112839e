-- Where imported objects came from: the source's URL and its whole JSON, so that an import
-- loses nothing Plenum has no field for (vendor properties, original wording of results and
-- roles), and a later import can tell what it brought before.
CREATE TABLE import_source (
    object_id   uuid PRIMARY KEY,
    object_kind text NOT NULL,
    source_url  text NOT NULL,
    raw         jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_source_url ON import_source (source_url);
