-- The team's digest: one row per digest, claimed before it is sent. Its reactions are those with
-- after_id < id <= upto_id, so the ranges of all digests follow each other without gap or overlap
-- and a restart neither skips nor repeats a reaction. slot: the scheduled moment (UTC) it stands
-- for, NULL for one sent by hand ('mailer digest'); one row per slot.
-- API tokens for the read-only JSON API: only the SHA-256 of a token is kept, with its first
-- characters so its owner can tell tokens apart; revoking sets revoked_at.
BEGIN;
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    slot TEXT UNIQUE,
    after_id INTEGER NOT NULL,
    upto_id INTEGER NOT NULL,
    reactions INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | sent | empty
    recipients TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX digests_state ON digests(state, next_attempt_at);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
COMMIT;
