-- 001_init: the tables, views and indexes analysts query (shared/DESIGN.md).

CREATE TABLE sources (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	url text NOT NULL,
	kind text NOT NULL DEFAULT 'url' CHECK (kind IN ('url', 'index'))
);

CREATE TABLE ingest_runs (
	id bigserial PRIMARY KEY,
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	status text NOT NULL DEFAULT 'running'
		CHECK (status IN ('running', 'ok', 'failed', 'aborted')),
	fetched integer NOT NULL DEFAULT 0,
	unchanged integer NOT NULL DEFAULT 0,
	parsed integer NOT NULL DEFAULT 0,
	stored integer NOT NULL DEFAULT 0,
	duplicates integer NOT NULL DEFAULT 0,
	failed integer NOT NULL DEFAULT 0
);

CREATE TABLE documents (
	id bigserial PRIMARY KEY,
	source_id bigint REFERENCES sources (id) ON DELETE SET NULL,
	url text NOT NULL,
	final_url text,
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	etag text,
	last_modified text,
	content_type text,
	charset text,
	fetched_at timestamptz NOT NULL DEFAULT now(),
	title text,
	issuer text,
	report_year integer CHECK (report_year BETWEEN 1900 AND 2199),
	published_on date,
	parser_version integer NOT NULL,
	text text NOT NULL,
	is_current boolean NOT NULL DEFAULT true,
	UNIQUE (url, sha256)
);
CREATE INDEX documents_issuer_year ON documents (issuer, report_year);
CREATE UNIQUE INDEX documents_one_current ON documents (url) WHERE is_current;

CREATE TABLE documents_raw (
	document_id bigint PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
	body bytea NOT NULL
);

CREATE TABLE sections (
	id bigserial PRIMARY KEY,
	document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	parent_id bigint REFERENCES sections (id) ON DELETE CASCADE,
	path text NOT NULL,
	level integer NOT NULL CHECK (level BETWEEN 1 AND 16),
	marker text NOT NULL,
	heading text NOT NULL,
	body text NOT NULL,
	start_pos integer NOT NULL CHECK (start_pos >= 0),
	end_pos integer NOT NULL CHECK (end_pos >= start_pos),
	UNIQUE (document_id, path)
);
CREATE INDEX sections_parent ON sections (parent_id);

CREATE TABLE metrics (
	id bigserial PRIMARY KEY,
	document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	section_id bigint REFERENCES sections (id) ON DELETE CASCADE,
	section_path text,
	label text NOT NULL,
	value numeric NOT NULL,
	unit text NOT NULL,
	qualifier text CHECK (qualifier IN ('approx', 'over', 'max', 'min')),
	text text NOT NULL,
	sentence text NOT NULL,
	start_pos integer NOT NULL CHECK (start_pos >= 0),
	end_pos integer NOT NULL CHECK (end_pos >= start_pos)
);
CREATE INDEX metrics_document ON metrics (document_id);
CREATE INDEX metrics_label ON metrics (label);
CREATE INDEX metrics_section ON metrics (section_id);

CREATE TABLE dead_letters (
	id bigserial PRIMARY KEY,
	run_id bigint REFERENCES ingest_runs (id) ON DELETE SET NULL,
	url text NOT NULL,
	stage text NOT NULL CHECK (stage IN ('fetch', 'parse', 'store')),
	error text NOT NULL,
	attempts integer NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	body bytea
);
CREATE INDEX dead_letters_run ON dead_letters (run_id);

CREATE VIEW latest_documents AS
	SELECT * FROM documents WHERE is_current;

CREATE VIEW report_metrics AS
	SELECT d.id AS document_id, d.issuer, d.report_year, d.title, d.url,
	       s.heading AS section_heading, m.section_path,
	       m.label, m.value, m.unit, m.qualifier, m.text, m.sentence
	FROM metrics m
	JOIN documents d ON d.id = m.document_id AND d.is_current
	LEFT JOIN sections s ON s.id = m.section_id;
