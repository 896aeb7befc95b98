-- The webhook's outbox: one row per reaction to post, written by the service's scheduler when it
-- sees newly filed reactions (never by the filing itself, so a slow receiver cannot hold filing
-- up). The JSON is built at each attempt from the reaction as it is then (an erased reaction is
-- posted erased). Every attempt is kept with the receiver's answer; after the last try the row
-- is 'failed' with a note.
BEGIN;
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL UNIQUE REFERENCES reactions(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(state, next_attempt_at);
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES webhook_outbox(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,          -- the receiver's HTTP status; 0: no answer
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id);
-- How far the scheduler has looked: reactions with a higher id are new to the webhook.
CREATE TABLE webhook_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    after_id INTEGER NOT NULL
);
COMMIT;
