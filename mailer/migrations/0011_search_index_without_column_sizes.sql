-- The full-text index no longer keeps the size of every column of every reaction (FTS5's
-- columnsize=0). FTS5 keeps those sizes, in a table of their own with a row per reaction, only for
-- ranking (bm25 and the rank column), and no search here ranks: mailer/triage.py asks which
-- reactions MATCH and orders them by their own columns. Filing paid for that row on every reaction:
-- the main process's part of filing a batch of bench replies, 44.4 -> 42.5 us a reply (min of 5
-- alternating rounds; medians 46.3 -> 44.0). Same tokenizer and columns, so every search finds
-- what it found before; the index is rebuilt from the reactions once, here.
BEGIN;
DROP TABLE reactions_fts;
CREATE VIRTUAL TABLE reactions_fts USING fts5(
    subject, from_name, from_address, reply_text,
    content = 'reactions', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2",
    columnsize = 0
);
INSERT INTO reactions_fts (reactions_fts) VALUES ('rebuild');
COMMIT;
