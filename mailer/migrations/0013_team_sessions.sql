-- Team sessions live on the server: the session cookie carries a random token, this table its
-- SHA-256 and when it was last used. Log-out deletes the row, a password change deletes every row
-- of that user, and a row idle for 12 hours is refused, so an old cookie is worth nothing.
-- Accounts no longer lock after wrong passwords (a stranger could lock anyone out and learn which
-- names exist): guessing is slowed per client address in the web app, so the counters go.
BEGIN;
CREATE TABLE team_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX team_sessions_user ON team_sessions(user_id);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
COMMIT;
