-- 007_comparable: what makes figures compare across reports (shared/DESIGN.md,
-- "What a figure means"): the indicator dictionary, each metric's key, each
-- document's genre and the place it speaks for, and the view comparable_metrics.
-- Applies after 004-006.

-- The dictionary (parser/indicators.txt). The sink writes it at start from the
-- copy compiled into the binary, so it always matches the keys being stored.
CREATE TABLE indicators (
	key text PRIMARY KEY,
	aliases text[] NOT NULL DEFAULT '{}',
	measures text[] NOT NULL DEFAULT '{}',
	units text[] NOT NULL DEFAULT '{}'
);

ALTER TABLE documents
	ADD COLUMN genre text CHECK (genre IN ('法治政府建设报告', '政府信息公开年度报告',
					      '统计公报', '政府工作报告', '其他')),
	ADD COLUMN region_code text CHECK (region_code ~ '^[0-9]{6}$'),
	ADD COLUMN region_name text;
CREATE INDEX documents_region_year ON documents (region_code, report_year);

-- measure, target and year come with 005
ALTER TABLE metrics ADD COLUMN key text;
CREATE INDEX metrics_key ON metrics (key, year) WHERE key IS NOT NULL;

-- One row per figure of the current version of each distinct document: a body
-- stored under two URLs (same sha256) counts once, under the URL stored first,
-- and a keyed figure a report states twice (its goal in the list of goals,
-- then again where it explains it: 国内生产总值增长7.5%左右 … 经济增长预期目标定为
-- 7.5%左右) is one row, its first mention. Figures without a key stay one row
-- per metric. The DISTINCT ON columns are plain columns, so that a WHERE on
-- key, measure, target or year is applied before the sort.
CREATE VIEW comparable_metrics AS
	SELECT DISTINCT ON (d.id, m.key, m.measure, m.target, m.year, m.value, m.unit,
			    CASE WHEN m.key IS NULL THEN m.id END)
	       d.region_code, d.region_name, d.genre, d.report_year, m.year, m.key,
	       m.measure, m.target, m.label, m.value, m.unit, m.qualifier,
	       d.id AS document_id, d.url
	FROM (SELECT DISTINCT ON (sha256) id, url, region_code, region_name, genre,
				 report_year
	      FROM documents
	      WHERE is_current
	      ORDER BY sha256, id) d
	JOIN metrics m ON m.document_id = d.id
	ORDER BY d.id, m.key, m.measure, m.target, m.year, m.value, m.unit,
		 CASE WHEN m.key IS NULL THEN m.id END, m.id;
