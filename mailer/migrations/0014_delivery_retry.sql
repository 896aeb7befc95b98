-- The delivery queue retries temporary failures like a mail server: a delivery that got a 4xx, a
-- dropped or a stalled connection is 'waiting' until next_attempt_at (a column since 0001);
-- first_attempt_at starts its retry lifetime; retryable marks a 'failed' delivery whose lifetime
-- ran out (mailer retry sends those again; permanent 5xx failures keep 0).
ALTER TABLE deliveries ADD COLUMN first_attempt_at TEXT;
ALTER TABLE deliveries ADD COLUMN retryable INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_waiting ON deliveries(next_attempt_at) WHERE status = 'waiting';
