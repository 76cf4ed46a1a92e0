-- 008_section_sort: a key that sorts sections in document order. path is
-- text, and text sorts 1, 10, 11, 2; sort_key is the path as integers
-- ({1}, {1,2}, {2}, {10}), which sorts as the tree reads: a section before
-- its children, its children in order, then its next sibling. Generated, so
-- the sink writes nothing new (COPY without the column fills it) and rows
-- stored before this get it too. The path's form (002) makes the cast safe.
ALTER TABLE sections ADD COLUMN sort_key integer[]
	GENERATED ALWAYS AS (string_to_array(path, '.')::integer[]) STORED;

-- report_metrics gains section_sort as its last column, so the columns of
-- 001-005 keep their places (CREATE OR REPLACE VIEW may only append). A
-- figure outside every section sorts first, as it stands before them.
CREATE OR REPLACE VIEW report_metrics AS
	SELECT d.id AS document_id, d.issuer, d.report_year, d.title, d.url,
	       s.heading AS section_heading, m.section_path,
	       m.label, m.value, m.unit, m.qualifier, m.text, m.sentence,
	       d.published_on, m.id AS metric_id, m.section_id,
	       m.measure, m.target, m.year,
	       COALESCE(s.sort_key, '{}') AS section_sort
	FROM metrics m
	JOIN documents d ON d.id = m.document_id AND d.is_current
	LEFT JOIN sections s ON s.id = m.section_id;
