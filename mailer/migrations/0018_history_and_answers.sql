-- The team's history can be undone: each change keeps the fields it replaced (a JSON object,
-- read only by the code that undoes it) and when it was undone.
-- The team's answers to readers: stored before they are sent (nothing typed is lost when the
-- relay is down), with the Message-ID the reader's next reply will point at (In-Reply-To).
BEGIN;
ALTER TABLE reaction_events ADD COLUMN previous TEXT NOT NULL DEFAULT '';
ALTER TABLE reaction_events ADD COLUMN undone_at TEXT;
CREATE TABLE reaction_answers (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,    -- without angle brackets, as reactions.message_id
    created_at TEXT NOT NULL,
    sent_at TEXT,                       -- NULL: not (yet) accepted by the relay
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reaction_answers_reaction ON reaction_answers(reaction_id);
-- "Onzeker ingedeeld": reactions filed with low confidence (a filter and a count on every list
-- page). Partial, so it holds only those rows; the condition is written out exactly as in
-- mailer/stores/reactions_query.py (UNCERTAIN), or SQLite will not use it.
CREATE INDEX reactions_uncertain ON reactions(kind, status, newsletter_id, theme_slug)
    WHERE attribution != 'manual' AND (confidence < 0.7 OR (theme_slug IS NOT NULL AND theme_confidence < 0.7));
COMMIT;
