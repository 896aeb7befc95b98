-- The team's history can be undone: each change keeps the fields it replaced (a JSON object,
-- read only by the code that undoes it) and when it was undone.
BEGIN;
ALTER TABLE reaction_events ADD COLUMN previous TEXT NOT NULL DEFAULT '';
ALTER TABLE reaction_events ADD COLUMN undone_at TEXT;
COMMIT;
