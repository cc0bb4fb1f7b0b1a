-- Servers cache authenticated keys; tell them when a key is revoked or changes what it may do.
-- No update index is taken: nothing long-polls on keys, this only invalidates caches.
CREATE FUNCTION "infra_access_keys_changed"() RETURNS TRIGGER AS $$
BEGIN
  PERFORM pg_notify('infra_updates', json_build_object('index', 0, 'scopes', ARRAY['key:' || OLD."key_id"])::TEXT);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "access_keys_deleted" AFTER DELETE ON "access_keys"
  FOR EACH ROW EXECUTE FUNCTION "infra_access_keys_changed"();

-- Usage bookkeeping (last_used, extension_deadline) is not a change anyone needs to hear about.
CREATE TRIGGER "access_keys_updated" AFTER UPDATE OF "secret_hash", "scope", "expires", "user_id", "key_id" ON "access_keys"
  FOR EACH ROW EXECUTE FUNCTION "infra_access_keys_changed"();
