-- The team's list counts its total and every filter value in one pass (mailer/stores/reactions_page.py):
-- reactions grouped by newsletter, theme, status, kind and assignee, with how many of each group were
-- filed with low confidence. This index holds every column that query reads, in its GROUP BY order,
-- so it is read once, in order, without touching the reactions rows (a search narrows it by probing
-- its hits). It takes over from reactions_facets (0004), which held all but the confidence columns,
-- and from reactions_uncertain (0018): the count of uncertain reactions is one of its sums now, and
-- their filter reads the newest first by kind like the other filters (tests/test_indexes.py).
BEGIN;
CREATE INDEX IF NOT EXISTS reactions_cube
    ON reactions(newsletter_id, theme_slug, status, kind, assignee, attribution, confidence, theme_confidence);
DROP INDEX IF EXISTS reactions_facets;
DROP INDEX IF EXISTS reactions_uncertain;
COMMIT;
