-- Sessions from a provider login that came with a refresh token: the server asks the provider again every few
-- minutes, so that groups follow it and a user it no longer knows loses their session.
CREATE TABLE "provider_sessions" (
    "access_key_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    -- Sealed with the root key, base64.
    "refresh_token" TEXT NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_sessions_pkey" PRIMARY KEY ("access_key_id"),
    CONSTRAINT "provider_sessions_access_key_id_fkey" FOREIGN KEY ("access_key_id") REFERENCES "access_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "provider_sessions_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "provider_sessions_checked_at_idx" ON "provider_sessions"("checked_at");
