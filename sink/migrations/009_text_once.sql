-- 009_text_once: a report's text is stored once, in documents.text (issue 17).
-- Until 008 it went in three times: documents.text, sections.body (where every
-- level repeats the text of the levels below it) and metrics.sentence; 300
-- seed-size reports took 5.6 times their text. Sections and metrics now keep
-- only their offsets into documents.text, and the views sections and metrics
-- give body and sentence back to SQL, with the columns and answers of 008:
--
--   sections_base, metrics_base   the tables the sink writes (by COPY)
--   sections, metrics             views with every column of 008, in 008's
--                                 order; metrics appends sentence_start and
--                                 sentence_end
--
-- Offsets are code points of the text, end exclusive (shared/DESIGN.md);
-- substr() counts characters of the database encoding, which are code points
-- in every server encoding but SQL_ASCII, where it counts bytes: such a
-- database is refused here rather than given wrong bodies.
--
-- Rows stored before this keep the text they had: a body or sentence that the
-- offsets do not give back exactly (none is expected: the sink cut bodies from
-- the text, and the parser its sentences) stays in body_copy or sentence_copy,
-- which the views prefer. The sink fills sentence_copy only when a parser
-- sends no sentence offsets, or offsets that do not give its sentence.
--
-- The copies are gone from the rows at once, but the old row versions keep
-- their pages until (auto)vacuum makes them reusable; VACUUM FULL sections_base,
-- metrics_base gives the space back to the operating system.
-- Applies to a database that holds data; in one transaction, like every migration.

DO $$
BEGIN
	IF current_setting('server_encoding') = 'SQL_ASCII' THEN
		RAISE EXCEPTION 'reportpipe needs a database encoding other than SQL_ASCII'
			USING HINT = 'substr() must count characters: recreate the database'
				     ' with ENCODING ''UTF8'' and run reportpipe again';
	END IF;
END $$;

-- The views that read sections and metrics follow them by oid through the
-- renames; report_metrics is replaced below, comparable_metrics reads no
-- moved column and stays as it is.
ALTER TABLE sections RENAME TO sections_base;
ALTER TABLE metrics RENAME TO metrics_base;
ALTER TABLE sections_base RENAME COLUMN body TO body_copy;
ALTER TABLE sections_base ALTER COLUMN body_copy DROP NOT NULL;
ALTER TABLE metrics_base RENAME COLUMN sentence TO sentence_copy;
ALTER TABLE metrics_base ALTER COLUMN sentence_copy DROP NOT NULL;
ALTER TABLE metrics_base
	ADD COLUMN sentence_start integer CHECK (sentence_start >= 0),
	ADD COLUMN sentence_end integer CHECK (sentence_end >= sentence_start),
	ADD CONSTRAINT metrics_base_sentence_known
		CHECK (sentence_copy IS NOT NULL OR sentence_end IS NOT NULL);

-- A section's body is its text from start_pos to end_pos (the sink cut it so).
UPDATE sections_base s SET body_copy = NULL
	FROM documents d
	WHERE d.id = s.document_id
	  AND s.body_copy = substr(d.text, s.start_pos + 1, s.end_pos - s.start_pos);

-- A metric's sentence holds its figure, so it starts at most its own length
-- before the figure: the first place in that window where the text reads the
-- sentence is where it stands (another place would read the same words).
UPDATE metrics_base m SET sentence_start = f.at, sentence_end = f.at + length(m.sentence_copy)
	FROM (SELECT m2.id, w.lo + strpos(substr(d.text, w.lo + 1,
						   2 * length(m2.sentence_copy) + 1),
					   m2.sentence_copy) - 1 AS at
	      FROM metrics_base m2
	      JOIN documents d ON d.id = m2.document_id
	      CROSS JOIN LATERAL (SELECT greatest(0, m2.start_pos - length(m2.sentence_copy))
				  AS lo) w
	      WHERE m2.sentence_copy <> ''
		AND strpos(substr(d.text, w.lo + 1, 2 * length(m2.sentence_copy) + 1),
			   m2.sentence_copy) > 0) f
	WHERE f.id = m.id;
-- an empty sentence (the sink wrote '' when a parser sent none) is empty anywhere
UPDATE metrics_base SET sentence_start = start_pos, sentence_end = start_pos
	WHERE sentence_copy = '';
UPDATE metrics_base m SET sentence_copy = NULL
	FROM documents d
	WHERE d.id = m.document_id AND m.sentence_end IS NOT NULL
	  AND m.sentence_copy = substr(d.text, m.sentence_start + 1,
				       m.sentence_end - m.sentence_start);

-- The raw bodies stay compressed: TOAST compresses a value of over about 2 kB,
-- and the method is now set rather than left to default_toast_compression.
-- pglz: on the seed (GB18030/UTF-8 HTML and text of Chinese reports) it
-- stores documents_raw in fewer bytes than lz4 (bench/RESULTS.md), and every
-- PostgreSQL build has it, where lz4 needs one built --with-lz4. Only values
-- written from now on are affected; stored ones keep their method. The text,
-- which substr() reads a slice of, is compressed the same way.
ALTER TABLE documents_raw ALTER COLUMN body SET COMPRESSION pglz;
ALTER TABLE documents ALTER COLUMN text SET COMPRESSION pglz;

-- Indexes and foreign keys on the write path (sources, documents,
-- documents_raw, sections_base, metrics_base), each kept for what needs it:
--   documents_pkey, documents_raw_pkey, sections_base_pkey (renamed from
--     sections_pkey), metrics_base_pkey: identity; the first three are what
--     the foreign keys point at, the last is report_metrics.metric_id.
--   documents (url, sha256) unique: the idempotency key; the sink's lookup of
--     stored documents uses it.
--   documents_one_current (url) WHERE is_current: at most one current version
--     of a URL; the sink's retire step finds the current version by it.
--   documents_issuer_year, documents_year_issuer, documents_region_year,
--     documents_parser_version: one row per report, so small; the README's
--     queries by issuer and year, comparable_metrics by region, reparse
--     --below-version.
--   sections (document_id, path) unique: a path names one section of a
--     document; it finds a document's sections (reparse, the cascade from
--     documents).
--   sections_id_document (id, document_id) unique: what the same-document
--     foreign keys of 002 reference; PostgreSQL needs a unique index on
--     exactly those columns.
--   sections_parent (parent_id): the cascade to a deleted section's children
--     looks rows up by parent; without it each of a document's sections would
--     scan all of them, quadratic in reparse.
--   foreign keys documents_raw, sections, metrics -> documents (ON DELETE
--     CASCADE), sections -> parent section and metrics -> section (same
--     document): the invariants that nothing outlives its document and no
--     link crosses documents. Each costs one index probe per row in COPY.
--   metrics_label (label): one metric across reports, by its label.
--   metrics_key (key, year): comparable_metrics by key.
-- Changed:
--   metrics_label_document (label, document_id), 002's, is dropped:
--     metrics_label answers the same queries (label = ..., label LIKE
--     '出庭%'; the README's LIKE '%...%' reads the table either way), and is
--     a fraction of its size, because a B-tree stores a repeated key once
--     with the list of its rows (deduplication), and the same label in many
--     reports is what a cross-report query looks for; with document_id in
--     the key no two entries were equal. It was the largest index: 1.4 MB
--     of 16.7 for 300 reports.
--   metrics_document (document_id) and metrics_section (section_id) become
--     one index (document_id, section_id): it finds a document's metrics
--     (reparse, the cascade from documents, comparable_metrics) and is exactly
--     the lookup of the cascade from a section, (section_id, document_id).
--   sections_base_pkey, sections_id_document and metrics_base_pkey fill their
--     pages: their keys come from sequences, so rows only ever go in at the
--     right end (reparse deletes and inserts with new ids), where the default
--     fillfactor of 90 leaves a tenth of every page empty for inserts that
--     never come. Applies to pages split from now on.
ALTER TABLE sections_base RENAME CONSTRAINT sections_pkey TO sections_base_pkey;
ALTER TABLE metrics_base RENAME CONSTRAINT metrics_pkey TO metrics_base_pkey;
ALTER INDEX sections_base_pkey SET (fillfactor = 100);
ALTER INDEX sections_id_document SET (fillfactor = 100);
ALTER INDEX metrics_base_pkey SET (fillfactor = 100);
DROP INDEX metrics_label_document;
DROP INDEX metrics_document;
DROP INDEX metrics_section;
CREATE INDEX metrics_document_section ON metrics_base (document_id, section_id);

-- Views. One table in FROM, and body and sentence as expressions: PostgreSQL
-- keeps such views updatable, so DELETE and UPDATE through them still work
-- (COPY does not; the sink writes the tables). A query that does not select
-- body or sentence does not read the text.
CREATE VIEW sections AS
	SELECT s.id, s.document_id, s.parent_id, s.path, s.level, s.marker, s.heading,
	       coalesce(s.body_copy,
			(SELECT substr(d.text, s.start_pos + 1, s.end_pos - s.start_pos)
			 FROM documents d WHERE d.id = s.document_id)) AS body,
	       s.start_pos, s.end_pos, s.sort_key
	FROM sections_base s;

CREATE VIEW metrics AS
	SELECT m.id, m.document_id, m.section_id, m.section_path, m.label, m.value, m.unit,
	       m.qualifier, m.text,
	       coalesce(m.sentence_copy,
			(SELECT substr(d.text, m.sentence_start + 1,
				       m.sentence_end - m.sentence_start)
			 FROM documents d WHERE d.id = m.document_id)) AS sentence,
	       m.start_pos, m.end_pos, m.measure, m.target, m.year, m.key,
	       m.sentence_start, m.sentence_end
	FROM metrics_base m;

-- report_metrics: 008's columns in 008's order; the sentence comes from the
-- document it already joins.
CREATE OR REPLACE VIEW report_metrics AS
	SELECT d.id AS document_id, d.issuer, d.report_year, d.title, d.url,
	       s.heading AS section_heading, m.section_path,
	       m.label, m.value, m.unit, m.qualifier, m.text,
	       coalesce(m.sentence_copy,
			substr(d.text, m.sentence_start + 1,
			       m.sentence_end - m.sentence_start)) AS sentence,
	       d.published_on, m.id AS metric_id, m.section_id,
	       m.measure, m.target, m.year,
	       COALESCE(s.sort_key, '{}') AS section_sort
	FROM metrics_base m
	JOIN documents d ON d.id = m.document_id AND d.is_current
	LEFT JOIN sections_base s ON s.id = m.section_id;
