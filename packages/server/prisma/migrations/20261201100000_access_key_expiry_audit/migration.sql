-- Set once the audit log holds a key's `access-key.expired` event, so that it is recorded exactly once.
ALTER TABLE "access_keys" ADD COLUMN "expiry_recorded" BOOLEAN NOT NULL DEFAULT false;

-- Keys that expired before there was an audit log have no expiry to record.
UPDATE "access_keys" SET "expiry_recorded" = true WHERE "extension_deadline" <= now() OR "expires" <= now();
