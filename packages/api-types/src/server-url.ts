// Free of imports: the CLI's startup path uses it (through the `@infra/api-types/server-url` subpath) without
// loading zod and the schemas.

/**
 * A server as people type it (`infra.example.com`, `10.0.0.1:6443`, `http://localhost:8080`) with its scheme:
 * a bare host means https; plain http must be asked for.
 */
export function withDefaultScheme(server: string): string {
  return /^https?:\/\//i.test(server) ? server : `https://${server}`
}
