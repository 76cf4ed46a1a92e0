-- 002_integrity_reporting: what 001 left open. A section's parent and a
-- metric's section must belong to the same document; a section path has the
-- form "2.3.1"; a dead letter keeps the SQLSTATE the database refused it with;
-- indexes for the reporting queries; report_metrics gains the columns
-- analysts join on; dead_letters_waiting lists what is still unresolved.
-- 001 has shipped: this file only adds to it, and must apply to a database
-- that already holds data.

-- same-document links: (id, document_id) pairs are what the foreign keys reference
ALTER TABLE sections ADD CONSTRAINT sections_id_document UNIQUE (id, document_id);
ALTER TABLE sections ADD CONSTRAINT sections_path_form
	CHECK (path ~ '^[1-9][0-9]*(\.[1-9][0-9]*)*$');

ALTER TABLE sections DROP CONSTRAINT sections_parent_id_fkey;
ALTER TABLE sections ADD CONSTRAINT sections_parent_same_document
	FOREIGN KEY (parent_id, document_id) REFERENCES sections (id, document_id)
	ON DELETE CASCADE;

ALTER TABLE metrics DROP CONSTRAINT metrics_section_id_fkey;
ALTER TABLE metrics ADD CONSTRAINT metrics_section_same_document
	FOREIGN KEY (section_id, document_id) REFERENCES sections (id, document_id)
	ON DELETE CASCADE;

ALTER TABLE dead_letters ADD COLUMN sqlstate text
	CHECK (sqlstate ~ '^[0-9A-Z]{5}$');
CREATE INDEX dead_letters_url ON dead_letters (url, created_at);
CREATE INDEX dead_letters_created ON dead_letters (created_at);

CREATE INDEX ingest_runs_started ON ingest_runs (started_at);
-- one metric across issuers and years: by label, then by year
CREATE INDEX metrics_label_document ON metrics (label, document_id);
CREATE INDEX documents_year_issuer ON documents (report_year, issuer) WHERE is_current;
-- reparse --below-version
CREATE INDEX documents_parser_version ON documents (parser_version);

-- the columns of 001 stay in place; new ones are appended
CREATE OR REPLACE VIEW report_metrics AS
	SELECT d.id AS document_id, d.issuer, d.report_year, d.title, d.url,
	       s.heading AS section_heading, m.section_path,
	       m.label, m.value, m.unit, m.qualifier, m.text, m.sentence,
	       d.published_on, m.id AS metric_id, m.section_id
	FROM metrics m
	JOIN documents d ON d.id = m.document_id AND d.is_current
	LEFT JOIN sections s ON s.id = m.section_id;

-- a dead letter waits until a document of its URL is stored after it
CREATE VIEW dead_letters_waiting AS
	SELECT dl.id, dl.run_id, dl.url, dl.stage, dl.error, dl.sqlstate, dl.attempts,
	       dl.created_at
	FROM dead_letters dl
	WHERE NOT EXISTS (SELECT 1 FROM documents d
			  WHERE d.url = dl.url AND d.fetched_at >= dl.created_at);
