import type { SqlPool } from '../db/prisma.js'
import { inTransaction } from '../db/sql-transaction.js'

const PRUNE_BATCH = 5000

/**
 * Removes the sealed events stored before `before`, from the start of the chain, a batch per short transaction
 * (no lock outlives a batch, and requests recording events never wait on one). Each batch moves the chain's
 * `cut` to its last removed event, so verification starts there. Returns how many it removed.
 */
export async function pruneAuditEvents(sql: SqlPool, before: Date, batch = PRUNE_BATCH): Promise<number> {
  let removed = 0
  for (;;) {
    const count = await inTransaction(sql, async (client) => {
      const cut = await client.query<{ seq: string }>(
        `SELECT seq FROM audit_chain WHERE name = 'cut' FOR UPDATE`,
      )
      // The oldest `batch` events of the chain, up to the first one young enough to keep.
      const { rows } = await client.query<{ seq: string; chain: Buffer }>(
        `WITH oldest AS (SELECT seq, chain, time FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2)
         SELECT seq, chain FROM oldest
         WHERE seq < coalesce((SELECT min(seq) FROM oldest WHERE time >= $3), 'Infinity'::numeric)
         ORDER BY seq DESC LIMIT 1`,
        [cut.rows[0]?.seq ?? '0', batch, before],
      )
      const last = rows[0]
      if (!last) return 0
      const deleted = await client.query('DELETE FROM audit_events WHERE seq > $1 AND seq <= $2', [
        cut.rows[0]?.seq ?? '0',
        last.seq,
      ])
      await client.query(`UPDATE audit_chain SET seq = $1, chain = $2 WHERE name = 'cut'`, [
        last.seq,
        last.chain,
      ])
      return deleted.rowCount ?? 0
    })
    if (count === 0) return removed
    removed += count
  }
}
