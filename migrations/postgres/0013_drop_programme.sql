-- Issue 14: the benefit received (APA, PCH, RSA, AAH…) says disability or poverty,
-- and no feature uses it: it is no longer kept.
ALTER TABLE beneficiaries DROP COLUMN programme;
