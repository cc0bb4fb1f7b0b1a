-- CreateTable
CREATE TABLE "update_indexes" (
    "scope" TEXT NOT NULL,
    "index" BIGINT NOT NULL,

    CONSTRAINT "update_indexes_pkey" PRIMARY KEY ("scope")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "id" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_encrypted" BYTEA NOT NULL,
    "activates_at" TIMESTAMPTZ(3) NOT NULL,
    "retires_at" TIMESTAMPTZ(3) NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_limit_windows" (
    "bucket" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("bucket","window_start")
);

-- CreateTable
CREATE TABLE "login_failures" (
    "name" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "locked_until" TIMESTAMPTZ(3),
    "updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_failures_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "signing_keys_kid_key" ON "signing_keys"("kid");


-- Live updates. Every change to what a long poll may return moves the change index of its scopes and notifies
-- the servers listening on "infra_updates". Bumps are serialized by a transaction-level lock so that indexes
-- are handed out in commit order: a client that has seen index N can never miss a change numbered below N.
CREATE SEQUENCE "update_index_seq" START 3;

CREATE FUNCTION "infra_bump_update_index"(scopes TEXT[]) RETURNS VOID AS $$
DECLARE
  next_index BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(7342004);
  next_index := nextval('update_index_seq');
  INSERT INTO "update_indexes" ("scope", "index")
    SELECT scope, next_index FROM unnest(scopes) AS scope
    ON CONFLICT ("scope") DO UPDATE SET "index" = EXCLUDED."index";
  PERFORM pg_notify('infra_updates', json_build_object('index', next_index, 'scopes', scopes)::TEXT);
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION "infra_grants_changed"() RETURNS TRIGGER AS $$
DECLARE
  row_changed "grants"%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN row_changed := OLD; ELSE row_changed := NEW; END IF;
  PERFORM "infra_bump_update_index"(ARRAY[
    'grants',
    'destination:' || row_changed."destination",
    CASE WHEN row_changed."user_id" IS NOT NULL THEN 'user:' || row_changed."user_id"
         ELSE 'group:' || row_changed."group_id" END
  ]);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "grants_update_index" AFTER INSERT OR DELETE ON "grants"
  FOR EACH ROW EXECUTE FUNCTION "infra_grants_changed"();

CREATE FUNCTION "infra_group_members_changed"() RETURNS TRIGGER AS $$
BEGIN
  -- Joining or leaving a group changes the user's effective (inherited) grants.
  IF TG_OP = 'DELETE' THEN
    PERFORM "infra_bump_update_index"(ARRAY['user:' || OLD."user_id"]);
  ELSE
    PERFORM "infra_bump_update_index"(ARRAY['user:' || NEW."user_id"]);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "group_members_update_index" AFTER INSERT OR DELETE ON "group_members"
  FOR EACH ROW EXECUTE FUNCTION "infra_group_members_changed"();

CREATE FUNCTION "infra_destinations_changed"() RETURNS TRIGGER AS $$
BEGIN
  PERFORM "infra_bump_update_index"(ARRAY['destinations']);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "destinations_update_index" AFTER INSERT OR DELETE ON "destinations"
  FOR EACH ROW EXECUTE FUNCTION "infra_destinations_changed"();

-- A connector's heartbeat only moves last_seen: that is no change to watchers.
CREATE TRIGGER "destinations_update_index_on_update" AFTER UPDATE ON "destinations"
  FOR EACH ROW
  WHEN ((OLD."name", OLD."unique_id", OLD."kind", OLD."version", OLD."connection_url", OLD."connection_ca",
         OLD."resources", OLD."roles")
        IS DISTINCT FROM
        (NEW."name", NEW."unique_id", NEW."kind", NEW."version", NEW."connection_url", NEW."connection_ca",
         NEW."resources", NEW."roles"))
  EXECUTE FUNCTION "infra_destinations_changed"();
