-- Group memberships an identity provider gave at login carry its id, so the next login through that provider
-- can take away the ones it no longer names; memberships made by hand ('') are never touched by a login.
ALTER TABLE "group_members" ADD COLUMN "provider_id" TEXT NOT NULL DEFAULT '';
