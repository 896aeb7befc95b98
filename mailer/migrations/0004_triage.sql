-- The team's inbox: full-text search over reactions and the indexes its pages need.

-- Full-text index over what a reader wrote and who they are. External content: the text lives
-- once, in reactions; the triggers below keep the index in step. unicode61 with
-- remove_diacritics 2 folds accents, so "cooperatie" finds "coöperatie" and "een" finds "één".
CREATE VIRTUAL TABLE reactions_fts USING fts5(
    subject, from_name, from_address, reply_text, full_text,
    content = 'reactions', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2"
);

INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text, full_text)
    SELECT id, subject, from_name, from_address, reply_text, full_text FROM reactions;

CREATE TRIGGER reactions_fts_insert AFTER INSERT ON reactions BEGIN
    INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text, full_text)
    VALUES (new.id, new.subject, new.from_name, new.from_address, new.reply_text, new.full_text);
END;

CREATE TRIGGER reactions_fts_delete AFTER DELETE ON reactions BEGIN
    INSERT INTO reactions_fts (reactions_fts, rowid, subject, from_name, from_address, reply_text, full_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_address, old.reply_text, old.full_text);
END;

-- Only changes to indexed columns touch the index (status, assignee and re-filing do not).
CREATE TRIGGER reactions_fts_update AFTER UPDATE OF subject, from_name, from_address, reply_text, full_text
ON reactions BEGIN
    INSERT INTO reactions_fts (reactions_fts, rowid, subject, from_name, from_address, reply_text, full_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_address, old.reply_text, old.full_text);
    INSERT INTO reactions_fts (rowid, subject, from_name, from_address, reply_text, full_text)
    VALUES (new.id, new.subject, new.from_name, new.from_address, new.reply_text, new.full_text);
END;

-- Newest first, overall and within a kind / status / assignee; a sender's earlier reactions.
CREATE INDEX IF NOT EXISTS reactions_received ON reactions(received_at, id);
CREATE INDEX IF NOT EXISTS reactions_kind_status ON reactions(kind, status, received_at);
-- Covering indexes for the counts per filter value and per newsletter (index-only scans).
CREATE INDEX IF NOT EXISTS reactions_facets ON reactions(kind, newsletter_id, theme_slug, status, assignee);
CREATE INDEX IF NOT EXISTS reactions_newsletter_kind ON reactions(newsletter_id, kind, status, theme_slug);
CREATE INDEX IF NOT EXISTS reactions_assignee ON reactions(assignee, received_at);
CREATE INDEX IF NOT EXISTS reactions_from ON reactions(from_address, received_at);
CREATE INDEX IF NOT EXISTS reactions_subscriber ON reactions(subscriber_id);
CREATE INDEX IF NOT EXISTS reaction_tags_tag ON reaction_tags(tag, reaction_id);
CREATE INDEX IF NOT EXISTS reaction_notes_reaction ON reaction_notes(reaction_id);
CREATE INDEX IF NOT EXISTS attachments_reaction ON attachments(reaction_id);
