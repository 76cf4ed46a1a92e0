-- 003: a run stopped by a signal, which drained what was in flight, is
-- recorded as 'interrupted' (the fetcher ends it with FINISH); 'aborted'
-- stays for a sink that stopped with a run still open.
ALTER TABLE ingest_runs DROP CONSTRAINT ingest_runs_status_check;
ALTER TABLE ingest_runs ADD CONSTRAINT ingest_runs_status_check
	CHECK (status IN ('running', 'ok', 'failed', 'aborted', 'interrupted'));
