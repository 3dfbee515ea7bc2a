-- Issue 16: SQLite's twin of this migration moves the queue's reads into a file of
-- their own, so that their commits stop emptying the other connections' page caches.
-- PostgreSQL has no such cost (a commit invalidates nothing in the other backends'
-- shared buffers), and its reads are moved by several servers at once with
-- `FOR UPDATE SKIP LOCKED`: `contact_reads` stays here.
SELECT 1;
