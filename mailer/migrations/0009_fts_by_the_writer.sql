-- Reactions are added to the full-text index by the code that inserts them
-- (mailer.inbox.store.insert_reactions, mailer.web.sample.insert_reaction), in the same
-- transaction, as its last statement - no longer by an AFTER INSERT trigger.
--
-- Even when its WHEN clause kept it from firing (0006's deferral during a filing batch), the
-- trigger cost every inserted reaction about 22 of its 42 us: SQLite evaluates the WHEN subquery
-- and opens a statement journal for every row of a table with triggers. The update and delete
-- triggers of 0007 stay: edits and erasures still keep the index in step by themselves.

DROP TRIGGER reactions_fts_insert;
DROP TABLE reactions_fts_deferred;
