-- 005_metric_meaning: what a figure means (shared/DESIGN.md, "What a figure
-- means"): its measure, whether it is a goal rather than a result, and the
-- year it is about. Rows stored before this have no measure (NULL: not
-- known), target false and no year until `reportpipe reparse --below-version
-- 2` reads them again. Applies to a database that already holds data.

ALTER TABLE metrics
	ADD COLUMN measure text CHECK (measure IN ('level', 'change', 'growth', 'share')),
	ADD COLUMN target boolean NOT NULL DEFAULT false,
	ADD COLUMN year integer;

-- the columns of 001 and 002 stay in place, the new ones are appended, so
-- SELECT * users keep their columns and views built on this one survive
CREATE OR REPLACE VIEW report_metrics AS
	SELECT d.id AS document_id, d.issuer, d.report_year, d.title, d.url,
	       s.heading AS section_heading, m.section_path,
	       m.label, m.value, m.unit, m.qualifier, m.text, m.sentence,
	       d.published_on, m.id AS metric_id, m.section_id,
	       m.measure, m.target, m.year
	FROM metrics m
	JOIN documents d ON d.id = m.document_id AND d.is_current
	LEFT JOIN sections s ON s.id = m.section_id;
