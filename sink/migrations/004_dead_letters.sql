-- 004_dead_letters: one dead letter per URL and cause, not one per failure.
-- A URL that fails the same way run after run is one row: count and
-- last_seen grow with each failure, created_at stays when it was first seen,
-- and run_id, error, attempts and body are those of the latest failure.
-- cause is what makes two failures the same: the SQLSTATE when the database
-- refused the document, else the error's words before its first "(", ":" or
-- "," ("http 404", "connect", "timeout"), so that attempts and details do
-- not make a new letter. source names the source when the sender knew it.
-- acked_at: someone settled the letter (reportpipe dead-letters ack); it
-- no longer waits, and a later failure of that URL for that cause is known
-- dead and does not fail the run, until a document of the URL is stored.
-- Duplicates recorded before this migration collapse into their latest row.

ALTER TABLE dead_letters
	ADD COLUMN count integer NOT NULL DEFAULT 1 CHECK (count > 0),
	ADD COLUMN last_seen timestamptz,
	ADD COLUMN source text,
	ADD COLUMN acked_at timestamptz,
	ADD COLUMN cause text NOT NULL GENERATED ALWAYS AS (
		CASE WHEN sqlstate IS NOT NULL THEN 'sqlstate ' || sqlstate
		     ELSE btrim(coalesce(substring(error FROM '^[^(:,]*'), ''))
		END) STORED;

UPDATE dead_letters SET last_seen = created_at;

WITH g AS (
	SELECT max(id) AS keep, count(*) AS n, min(created_at) AS first_seen,
	       max(created_at) AS last_seen
	FROM dead_letters GROUP BY url, stage, cause HAVING count(*) > 1)
UPDATE dead_letters dl
	SET count = g.n, created_at = g.first_seen, last_seen = g.last_seen
	FROM g WHERE dl.id = g.keep;

DELETE FROM dead_letters dl USING dead_letters newer
	WHERE newer.url = dl.url AND newer.stage = dl.stage AND newer.cause = dl.cause
	  AND newer.id > dl.id;

ALTER TABLE dead_letters ALTER COLUMN last_seen SET DEFAULT now(),
	ALTER COLUMN last_seen SET NOT NULL;

-- the key of the sink's upsert
CREATE UNIQUE INDEX dead_letters_url_cause ON dead_letters (url, stage, cause);

-- waiting: not acknowledged, and no document of the URL stored since it last failed;
-- 002's columns stay in place, the new ones are appended
CREATE OR REPLACE VIEW dead_letters_waiting AS
	SELECT dl.id, dl.run_id, dl.url, dl.stage, dl.error, dl.sqlstate, dl.attempts,
	       dl.created_at, dl.count, dl.last_seen, dl.source, dl.cause
	FROM dead_letters dl
	WHERE dl.acked_at IS NULL
	  AND NOT EXISTS (SELECT 1 FROM documents d
			  WHERE d.url = dl.url AND d.fetched_at >= dl.last_seen);

-- a run's failures whose letters were acknowledged: not in failed, and the
-- run is not failed for them
ALTER TABLE ingest_runs ADD COLUMN known_dead integer NOT NULL DEFAULT 0;
