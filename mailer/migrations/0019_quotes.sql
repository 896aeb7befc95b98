-- Permission to quote: each request to a reader (the passage the team would like to quote, sent
-- with signed links) and the consent log of the reader's answers (every answer kept, with the
-- exact passage it was given for). A reaction's state is that of its latest request.
BEGIN;
CREATE TABLE quote_requests (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    passage TEXT NOT NULL,
    to_address TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'nl',
    asked_by TEXT NOT NULL,
    message_id TEXT NOT NULL,           -- without angle brackets
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,           -- when its links stop working (UTC ISO, as created_at)
    sent_at TEXT,                       -- NULL: not (yet) accepted by the relay
    error TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT '',    -- '' (none yet) | named | anonymous | refused
    name TEXT NOT NULL DEFAULT '',      -- the name to print with the quote (answer 'named')
    answered_at TEXT
);
CREATE INDEX quote_requests_reaction ON quote_requests(reaction_id, id);
CREATE TABLE quote_consents (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES quote_requests(id) ON DELETE CASCADE,
    answer TEXT NOT NULL,               -- named | anonymous | refused
    name TEXT NOT NULL DEFAULT '',
    passage TEXT NOT NULL,              -- the exact passage the answer was given for
    client_ip TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX quote_consents_request ON quote_consents(request_id);
-- Each reaction's quote state: its latest request's answer, 'asked' while the links work,
-- 'no_answer' once they expired unanswered. Times compare as the ISO strings every table stores.
CREATE VIEW quote_states AS
SELECT q.reaction_id, q.id AS request_id,
       CASE WHEN q.answer != '' THEN q.answer
            WHEN q.expires_at < strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') THEN 'no_answer'
            ELSE 'asked' END AS state
FROM quote_requests q
WHERE q.id = (SELECT max(id) FROM quote_requests WHERE reaction_id = q.reaction_id);
COMMIT;
