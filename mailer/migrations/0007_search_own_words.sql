-- Search covers what readers wrote themselves, and filing no longer rewrites the raw message.
--
-- 1. The full-text index holds subject, sender and the reader's own text (reply_text), no longer
--    full_text. full_text is mostly the newsletter the reader quoted (1.8 KB of a 2.2 KB reply on
--    average in bench/ingest.py), so a search for any word of an issue found every reply that
--    quoted it; and indexing it was most of the cost of filing a reply (38 -> 7 us a reaction
--    measured on the bench replies). The full text stays in reactions and on the reaction page.
-- 2. raw_messages.parsed_at is dropped: it was written on every filing (an UPDATE that rewrote the
--    row with its raw bytes) and read nowhere; a raw message is filed when a reaction points to it.
--    raw_messages.parse_error is now written only when there is an error.

DROP TRIGGER reactions_fts_insert;
DROP TRIGGER reactions_fts_delete;
DROP TRIGGER reactions_fts_update;
DROP TABLE reactions_fts;

CREATE VIRTUAL TABLE reactions_fts USING fts5(
    subject, from_name, from_address, reply_text,
    content = 'reactions', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2"
);

INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text)
    SELECT id, subject, from_name, from_address, reply_text FROM reactions;

-- Deferred during a filing batch, as in 0006_fts_batch.sql.
CREATE TRIGGER reactions_fts_insert AFTER INSERT ON reactions
WHEN NOT EXISTS (SELECT 1 FROM reactions_fts_deferred) BEGIN
    INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text)
    VALUES (new.id, new.subject, new.from_name, new.from_address, new.reply_text);
END;

CREATE TRIGGER reactions_fts_delete AFTER DELETE ON reactions BEGIN
    INSERT INTO reactions_fts (reactions_fts, rowid, subject, from_name, from_address, reply_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_address, old.reply_text);
END;

CREATE TRIGGER reactions_fts_update AFTER UPDATE OF subject, from_name, from_address, reply_text
ON reactions BEGIN
    INSERT INTO reactions_fts (reactions_fts, rowid, subject, from_name, from_address, reply_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_address, old.reply_text);
    INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text)
    VALUES (new.id, new.subject, new.from_name, new.from_address, new.reply_text);
END;

ALTER TABLE raw_messages DROP COLUMN parsed_at;
