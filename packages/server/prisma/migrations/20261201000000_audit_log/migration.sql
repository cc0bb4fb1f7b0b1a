-- The audit log: events are inserted unsealed (seq, digest and chain NULL) inside the transaction of the change
-- they record, and chained shortly after by one sealer at a time (services/audit-chain.ts).
CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "seq" BIGINT,
    "time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "type" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_name" TEXT,
    "source_ip" TEXT,
    "user_agent" TEXT,
    "destination" TEXT,
    "target" JSONB,
    "details" JSONB NOT NULL,
    "digest" BYTEA,
    "chain" BYTEA,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events"("seq");
CREATE INDEX "audit_events_time_idx" ON "audit_events"("time");
CREATE INDEX "audit_events_type_id_idx" ON "audit_events"("type", "id");
CREATE INDEX "audit_events_actor_id_id_idx" ON "audit_events"("actor_id", "id");
CREATE INDEX "audit_events_actor_name_id_idx" ON "audit_events"("actor_name", "id");
CREATE INDEX "audit_events_destination_id_idx" ON "audit_events"("destination", "id");
-- What the sealer looks for, small however long the log.
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events"("time", "id") WHERE "seq" IS NULL;
-- Failures are few: `--outcome failure` finds a page without walking the successes.
CREATE INDEX "audit_events_failures_idx" ON "audit_events"("id") WHERE "outcome" = 'failure';

CREATE TABLE "audit_chain" (
    "name" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "chain" BYTEA NOT NULL,

    CONSTRAINT "audit_chain_pkey" PRIMARY KEY ("name")
);

INSERT INTO "audit_chain" ("name", "seq", "chain") VALUES
    ('head', 0, '\x0000000000000000000000000000000000000000000000000000000000000000'),
    ('cut', 0, '\x0000000000000000000000000000000000000000000000000000000000000000');
