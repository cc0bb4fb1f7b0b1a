# The Infra server and connector images: `docker build --target server|connector DIR`, where DIR is made by
# `.ci/images/context.sh server|connector DIR` (the package's production dependencies, with the native packages
# of linux/amd64 and linux/arm64). `.ci/images/run.sh` builds and smoke-tests both; the images workflow pushes them.

FROM node:20-bookworm-slim AS runtime
# Node.js alone runs them: no package managers, headers or docs in the images.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include /usr/local/share/doc \
      /usr/local/share/man /usr/share/doc/* /usr/share/man/* /var/lib/apt/lists/* \
    && install -d -o 1000 -g 1000 -m 0700 /data

FROM runtime AS app
ARG TARGETARCH
COPY . /app
RUN case "$TARGETARCH" in amd64) other=arm64 ;; arm64) other=x64 ;; *) echo "no build for $TARGETARCH" >&2; exit 1 ;; esac \
    && rm -rf /app/node_modules/.pnpm/*linux-"$other"*

# One layer for the trimmed base (what was removed above is not in it), one for the application.
FROM scratch AS base
ARG VERSION=0.0.0
ARG SOURCE=https://github.com/infrahq/infra
LABEL org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=runtime / /
COPY --from=app /app /app
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production
USER 1000:1000
WORKDIR /app

# Data (the embedded Postgres, the root key, the generated TLS certificate) lives in the volume /data;
# DATABASE_URL names an external Postgres. HTTPS on 8443: with the certificate it generates into /data/tls (its
# fingerprint in `docker logs`), or --tls-cert/--tls-key. The health check does not verify the certificate, as
# Kubernetes' HTTPS probes do not; it follows INFRA_SERVER_PORT and INFRA_SERVER_INSECURE_HTTP when they are set.
# It runs one server process per CPU it may use (--workers), within the container's CPU limit (docker run --cpus,
# a Pod's limits.cpu) when there is one, read from the cgroup; INFRA_SERVER_WORKERS=N sets another number.
FROM base AS server
LABEL org.opencontainers.image.title="infra-server" \
      org.opencontainers.image.description="The Infra server: users, groups, grants, identity providers and destinations over a REST API"
ENV INFRA_SERVER_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "const { INFRA_SERVER_PORT: port = '', INFRA_SERVER_INSECURE_HTTP: insecure } = process.env; const scheme = insecure === 'true' ? 'http' : 'https'; require(`node:${scheme}`).get(`${scheme}://127.0.0.1:${/^\\d+$/.test(port) ? port : 8443}/healthz`, { rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
# The memory flags of packages/server/src/bin/memory-flags.ts as real Node options, which V8 honours from the
# start (the bin sets them at run time when started without them; a test keeps the two lists equal).
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "/app/dist/bin/infra-server.js"]

# Ports above 1024, so that it runs with no capabilities. Outside a cluster its generated CA is kept in /data;
# in a cluster, in a Secret.
FROM base AS connector
LABEL org.opencontainers.image.title="infra-connector" \
      org.opencontainers.image.description="The Infra connector: registers a cluster, turns grants into RBAC and proxies kubectl"
ENV INFRA_CONNECTOR_LISTEN=:8443 INFRA_CONNECTOR_HEALTH_LISTEN=:8081 INFRA_CONNECTOR_STATE_DIR=/data
EXPOSE 8443 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8081/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A young generation of 2 MiB semi-spaces instead of 16 MiB: the proxy's garbage is short-lived, so collecting it
# more often costs little CPU and keeps about 28 MiB less memory under load (packages/connector/bench reads the
# flags here and runs the connector with them).
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/dist/bin/infra-connector.js"]
