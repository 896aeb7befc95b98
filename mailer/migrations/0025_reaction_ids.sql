-- Reaction ids in order, in an index of their own: a search for a word in most letters keeps the
-- few reactions without it (mailer/stores/reactions_search.py), found by merging this list with
-- the search's hits, which come in the same order. The table itself is in id order too, but
-- reading it in order reads every letter.
CREATE INDEX IF NOT EXISTS reactions_ids ON reactions(id);
