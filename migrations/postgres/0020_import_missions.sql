-- Issue 17: `lien import needs|volunteers` record their batches (history, rejected rows,
-- "same file as batch N") like the other lists, and the upload page may keep such a
-- file between preview and confirmation: the kind checks of import_batches and
-- import_uploads accept 'needs' and 'volunteers'.
ALTER TABLE import_batches DROP CONSTRAINT import_batches_kind_check;
ALTER TABLE import_batches ADD CONSTRAINT import_batches_kind_check
    CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out', 'needs', 'volunteers', 'fixtures'));
ALTER TABLE import_uploads DROP CONSTRAINT import_uploads_kind_check;
ALTER TABLE import_uploads ADD CONSTRAINT import_uploads_kind_check
    CHECK (kind IN ('territories', 'callers', 'beneficiaries', 'opt_out', 'needs', 'volunteers'));
