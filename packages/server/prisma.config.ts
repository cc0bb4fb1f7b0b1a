// Prisma 6.19 CLI configuration: the wasm schema engine through adapter-pg, so that generate, migrate diff and
// migrate deploy work offline (no native engine download).
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: () =>
    Promise.resolve(
      new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' }),
    ),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
})
