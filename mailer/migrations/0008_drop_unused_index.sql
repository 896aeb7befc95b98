-- reactions_message_id (0001) serves no query: duplicates are found through raw_messages.message_id
-- and the team pages never look a reaction up by its Message-ID (checked with EXPLAIN QUERY PLAN
-- over every page of the team UI). Every filed reply paid for keeping it up to date.
DROP INDEX IF EXISTS reactions_message_id;
