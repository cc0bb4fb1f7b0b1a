import { LAST_UPDATE_INDEX_HEADER } from '@infra/api-types'
import type { ServerContext } from '../context.js'
import { keyStillValid } from '../auth/authenticate.js'
import { TooManyAttemptsError, UnauthenticatedError } from '../domain/errors.js'
import { Reply } from '../http/handler.js'
import { asJsonText, type JsonText } from '../services/json-page.js'

export interface LongPollRequest {
  accessKeyId: string
  /** The public ID of the caller's key: its revocation ends the wait with a 401. */
  keyId: string
  scopes: readonly string[]
  lastUpdateIndex: number
  signal: AbortSignal
  /** Identifies the answer apart from the index: requests with the same key and index share one load. */
  answerKey: string
}

/** The answer as of change `index`: identical requests while it loads share the one load. */
function answerAt<T>(
  ctx: ServerContext,
  answerKey: string,
  index: number,
  load: () => Promise<T | JsonText<T>>,
): Promise<JsonText<T>> {
  return ctx.updates.shared(`${answerKey}@${index}`, async () => asJsonText(await load()))
}

/**
 * The current answer of a list with change scopes. Many clients asking for the same page at once (connectors of
 * one destination, a fleet of agents) get one read of it per change instead of one each; nothing is kept after.
 */
export async function currentAnswer<T>(
  ctx: ServerContext,
  scopes: readonly string[],
  answerKey: string,
  load: () => Promise<T | JsonText<T>>,
): Promise<JsonText<T>> {
  return answerAt(ctx, answerKey, await ctx.updates.currentIndex(ctx.sql, scopes), load)
}

/**
 * Long polling as the API reference describes it: answer at once when the scopes changed after
 * `lastUpdateIndex` (and always for the initial request, index 1), otherwise wait for a change or the timeout
 * (304). The answer carries the index to send next time.
 */
export async function longPoll<T>(
  ctx: ServerContext,
  request: LongPollRequest,
  load: () => Promise<T | JsonText<T>>,
): Promise<Reply<JsonText<T> | undefined>> {
  if (!ctx.updates.acquire(request.accessKeyId, ctx.settings.maxLongPollsPerKey)) {
    throw new TooManyAttemptsError(
      `at most ${ctx.settings.maxLongPollsPerKey} long polls may wait at once per access key`,
      1,
    )
  }
  // The index is known before the list is read, so a change racing with the answer is delivered again,
  // never lost. Changes are numbered in commit order, so every change after `index` will wake the client.
  const answer = async (index: number) => {
    const json = await ctx.updates.shared(`${request.answerKey}@${index}`, async () =>
      asJsonText(await load()),
    )
    return new Reply(json, 200, { [LAST_UPDATE_INDEX_HEADER]: String(index) })
  }
  const deadline = Date.now() + ctx.settings.longPollTimeoutMs
  // A key revoked (or cut short) while its request waits gets no later change: its notification wakes the
  // waiter to look again, and the wait ends with a 401.
  const watched = [...request.scopes, `key:${request.keyId}`]
  try {
    for (;;) {
      // Registered before the index is read, so that a change landing in between still wakes this request.
      const watch = ctx.updates.watch(watched, request.lastUpdateIndex)
      // A failed read (the database unreachable) must not leave the waiter registered.
      const current = await ctx.updates.currentIndex(ctx.sql, request.scopes).catch((error: unknown) => {
        watch.cancel()
        throw error
      })
      if (current > request.lastUpdateIndex || request.lastUpdateIndex <= 1) {
        watch.cancel()
        return await answer(current)
      }
      const remaining = deadline - Date.now()
      if (remaining <= 0 || request.signal.aborted) {
        watch.cancel()
        return new Reply(undefined, 304)
      }
      const timer = setTimeout(() => watch.cancel(), remaining)
      const onAbort = () => watch.cancel()
      request.signal.addEventListener('abort', onAbort, { once: true })
      const outcome = await watch.changed
      clearTimeout(timer)
      request.signal.removeEventListener('abort', onAbort)
      // The notification's own index is current enough: no query per woken waiter.
      if (outcome.kind === 'changed') return await answer(outcome.index)
      // Timed out, client gone, or server stopping: nothing changed as far as this client will know.
      if (outcome.kind === 'cancelled') return new Reply(undefined, 304)
      // 'recheck': the key changed, or notifications may have been missed while reconnecting: look again.
      if (!(await keyStillValid(ctx, request.keyId)))
        throw new UnauthenticatedError('the access key is no longer valid')
    }
  } finally {
    ctx.updates.release(request.accessKeyId)
  }
}
