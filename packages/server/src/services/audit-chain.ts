import type { AuditHead, AuditVerifyResult } from '@infra/api-types'
import canonicalize from 'canonicalize'
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import type { SqlPool } from '../db/prisma.js'
import { inTransaction } from '../db/sql-transaction.js'
import { AUDIT_EVENT_JSON } from './audit-rows.js'

/**
 * The chain's HMAC key, derived from the root key: it lives where the root key does (environment or key file),
 * never in the database, so whoever can edit the database cannot re-seal what they changed.
 */
export function auditChainKey(rootKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', rootKey.trim(), '', 'infra audit chain v1', 32))
}

const SEAL_BATCH = 1000
const VERIFY_BATCH = 5000

interface ChainLink {
  seq: bigint
  chain: Buffer
}

/**
 * Chains stored events in the order it seals them. Events arrive from several workers, replicas and connectors,
 * each with its own clock, inside transactions that commit in any order: so the chain's order is not theirs but
 * the sealer's, one sealer at a time over all replicas (a row lock on the head, held only by the sealer's own
 * short transaction, never by a request). Each event's `digest` is the HMAC of the event as the API serves it;
 * its `chain` the HMAC of the previous chain, its position and its digest. An edited event fails its digest, a
 * removed one leaves a gap in the positions, and a moved one fails its chain.
 */
export class AuditChain {
  constructor(
    private readonly sql: SqlPool,
    private readonly key: Buffer,
  ) {}

  private hmac(...parts: Buffer[]): Buffer {
    const mac = createHmac('sha256', this.key)
    for (const part of parts) mac.update(part)
    return mac.digest()
  }

  private digest(item: string): Buffer {
    return this.hmac(Buffer.from(canonicalize(JSON.parse(item)) ?? ''))
  }

  private link(previous: Buffer, seq: bigint, digest: Buffer): Buffer {
    const position = Buffer.alloc(8)
    position.writeBigUInt64BE(seq)
    return this.hmac(previous, position, digest)
  }

  /** Seals every event stored so far; returns how many it sealed (0 when another sealer was at work). */
  async sealAll(): Promise<number> {
    let sealed = 0
    for (let batch = await this.sealBatch(); batch > 0; batch = await this.sealBatch()) sealed += batch
    return sealed
  }

  private async sealBatch(): Promise<number> {
    return inTransaction(this.sql, async (client) => {
      const head = await client.query<{ seq: string; chain: Buffer }>(
        `SELECT seq, chain FROM audit_chain WHERE name = 'head' FOR UPDATE SKIP LOCKED`,
      )
      const headRow = head.rows[0]
      if (!headRow) return 0
      const { rows } = await client.query<{ id: string; item: string }>(
        `SELECT e.id, ${AUDIT_EVENT_JSON}::text AS item FROM audit_events e
         WHERE e.seq IS NULL ORDER BY e.time, e.id LIMIT ${SEAL_BATCH}`,
      )
      if (rows.length === 0) return 0
      let seq = BigInt(headRow.seq)
      let chain = headRow.chain
      const ids: string[] = []
      const seqs: string[] = []
      const digests: Buffer[] = []
      const chains: Buffer[] = []
      for (const row of rows) {
        seq++
        const digest = this.digest(row.item)
        chain = this.link(chain, seq, digest)
        ids.push(row.id)
        seqs.push(seq.toString())
        digests.push(digest)
        chains.push(chain)
      }
      await client.query(
        `UPDATE audit_events e SET seq = s.seq, digest = s.digest, chain = s.chain
         FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::bytea[]) AS s(id, seq, digest, chain)
         WHERE e.id = s.id`,
        [ids, seqs, digests, chains],
      )
      await client.query(`UPDATE audit_chain SET seq = $1, chain = $2 WHERE name = 'head'`, [
        seq.toString(),
        chain,
      ])
      return rows.length
    })
  }

  async head(): Promise<AuditHead> {
    const { rows } = await this.sql.query<{ id: string | null; hash: string | null; count: string }>(
      `SELECT (SELECT id FROM audit_events WHERE seq = h.seq) AS id,
              CASE WHEN h.seq > 0 THEN encode(h.chain, 'hex') END AS hash, h.seq - c.seq AS count
       FROM audit_chain h, audit_chain c WHERE h.name = 'head' AND c.name = 'cut'`,
    )
    const row = rows[0]
    return { id: row?.id ?? null, hash: row?.hash ?? null, count: Number(row?.count ?? 0) }
  }

  /**
   * Walks the chain from where retention cut it to its head, in one snapshot (so retention and new events
   * meanwhile do not look like tampering), and names the first event that does not hold.
   */
  async verify(): Promise<AuditVerifyResult> {
    return inTransaction(this.sql, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY')
      const links = await client.query<{ name: string; seq: string; chain: Buffer }>(
        'SELECT name, seq, chain FROM audit_chain',
      )
      const linkOf = (name: string): ChainLink => {
        const row = links.rows.find((candidate) => candidate.name === name)
        return { seq: BigInt(row?.seq ?? 0), chain: row?.chain ?? Buffer.alloc(32) }
      }
      const head = linkOf('head')
      let previous = linkOf('cut')
      let previousId: string | undefined
      let checked = 0
      for (;;) {
        const { rows } = await client.query<{
          id: string
          seq: string
          item: string
          digest: Buffer | null
          chain: Buffer | null
        }>(
          `SELECT e.id, e.seq, ${AUDIT_EVENT_JSON}::text AS item, e.digest, e.chain FROM audit_events e
           WHERE e.seq > $1 ORDER BY e.seq LIMIT ${VERIFY_BATCH}`,
          [previous.seq.toString()],
        )
        for (const row of rows) {
          const seq = BigInt(row.seq)
          const digest = this.digest(row.item)
          if (!row.digest || !timingSafeEqual(digest, row.digest))
            return { ok: false, checked, firstBad: { id: row.id, problem: 'edited' } }
          if (seq !== previous.seq + 1n)
            return { ok: false, checked, firstBad: { id: row.id, problem: 'deleted' } }
          const chain = this.link(previous.chain, seq, digest)
          if (!row.chain || !timingSafeEqual(chain, row.chain))
            return { ok: false, checked, firstBad: { id: row.id, problem: 'reordered' } }
          checked++
          previous = { seq, chain }
          previousId = row.id
        }
        if (rows.length < VERIFY_BATCH) break
      }
      // Events removed from the end leave no gap to find: the head still names the last one sealed.
      if (previous.seq !== head.seq || !previous.chain.equals(head.chain)) {
        return {
          ok: false,
          checked,
          ...(previousId !== undefined && { firstBad: { id: previousId, problem: 'deleted' as const } }),
        }
      }
      return { ok: true, checked }
    })
  }
}
