-- Whether a reaction was filed with low confidence for its newsletter or its theme (never after
-- filing by hand), as a generated column, so the team's counts read it from the reactions_cube
-- index instead of working it out from three columns for every row (about a third of the grouped
-- pass at 100,000 reactions). 0.7 is LOW_CONFIDENCE in mailer/stores/reactions_query.py.
BEGIN;
ALTER TABLE reactions ADD COLUMN uncertain INTEGER GENERATED ALWAYS AS (
    attribution != 'manual' AND (confidence < 0.7 OR (theme_slug IS NOT NULL AND theme_confidence < 0.7))
) VIRTUAL;
DROP INDEX IF EXISTS reactions_cube;
CREATE INDEX reactions_cube ON reactions(newsletter_id, theme_slug, status, kind, assignee, uncertain);
COMMIT;
