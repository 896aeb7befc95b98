-- Inbox filing indexes a whole batch of reactions for full-text search in one statement.
--
-- FTS5 writes its pending terms to a new on-disk segment at every statement savepoint, and an
-- INSERT into a table with triggers opens one. With the per-row trigger of 0004, filing a batch
-- therefore wrote one tiny segment per reaction and merged them again: about 200 us of the
-- ~250 us a reaction insert cost. The filing transaction now puts a row in
-- reactions_fts_deferred, inserts its reactions (the trigger stands aside), indexes them all
-- with one INSERT ... SELECT and deletes the row before COMMIT (mailer/inbox/store.py). The row
-- is never committed and other connections cannot write meanwhile (the transaction holds the
-- write lock), so every other insert still goes through the trigger and the index always holds
-- exactly the same rows and text as before.

CREATE TABLE reactions_fts_deferred (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

DROP TRIGGER reactions_fts_insert;

CREATE TRIGGER reactions_fts_insert AFTER INSERT ON reactions
WHEN NOT EXISTS (SELECT 1 FROM reactions_fts_deferred) BEGIN
    INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text, full_text)
    VALUES (new.id, new.subject, new.from_name, new.from_address, new.reply_text, new.full_text);
END;
