-- Issue 16, under load: on SQLite the queue's reads are recorded in a file of their own
-- beside the database (`lien.db-reads` beside `lien.db`, `store::reads_file`): every
-- commit to the database file made each other connection drop its page cache and its
-- memory map at its next read, and the reads were most of the commits.
--
-- The reads still waiting here are moved into the audit trail as settling did (one
-- `contact_details_read` row per person, in the order of the person index), and the
-- table goes. In its place, the mark that makes the move from the other file exact:
-- the last read moved, written in the same transaction as its audit rows, and this
-- database's own name, which the reads file carries so that a file left by another
-- database is never taken for this one's.
INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, subject_id, detail)
SELECT r.at, r.user_id, 'user', 'contact_details_read', 'beneficiary', p.value, r.context
FROM contact_reads r, json_each('[' || r.beneficiary_ids || ']') p
ORDER BY p.value, r.at;

DROP TABLE contact_reads;

CREATE TABLE contact_reads_settled (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    database_id TEXT NOT NULL,
    up_to       INTEGER NOT NULL CHECK (up_to >= 0)
);
INSERT INTO contact_reads_settled (only_row, database_id, up_to)
VALUES (1, lower(hex(randomblob(16))), 0);
