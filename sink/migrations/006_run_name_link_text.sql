-- 006_run_name_link_text: a run's name, and the text of the link a document was found by.
-- ingest_runs.name is the name every log line of a run carries (run=<UTC time>-<pid>,
-- set by `run` and `fetch`), so that a row of ingest_runs leads to its log
-- lines and a log line to its row. NULL for runs recorded before this, and for
-- a fetcher that does not send one.
ALTER TABLE ingest_runs ADD COLUMN name text;
CREATE INDEX ingest_runs_name ON ingest_runs (name) WHERE name IS NOT NULL;

-- the text of the index link the fetcher followed to a document: the parser's
-- title when the document names none, kept so that reparse finds it again
ALTER TABLE documents ADD COLUMN link_text text;
