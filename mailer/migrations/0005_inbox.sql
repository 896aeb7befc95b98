-- Inbox filing: look-ups the attribution makes on every inbound message, and the theme's own confidence.

-- "The sender's latest received issue" looks deliveries up by address.
CREATE INDEX IF NOT EXISTS deliveries_email ON deliveries(email, sent_at);
-- In-Reply-To/References also match test sends.
CREATE INDEX IF NOT EXISTS test_sends_message_id ON test_sends(message_id);
-- Duplicates by Message-ID among filed reactions are looked up through raw_messages.message_id (0001).

-- How sure the theme attribution is (0..1); reactions.confidence stays the newsletter attribution's.
ALTER TABLE reactions ADD COLUMN theme_confidence REAL NOT NULL DEFAULT 0;
