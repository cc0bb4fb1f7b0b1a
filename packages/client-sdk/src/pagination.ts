import type { Page } from '@infra/api-types'

export type PageFetcher<T> = (page: number) => Promise<Page<T>>

/**
 * Every item of a list route, fetched a page at a time as it is consumed:
 * `for await (const user of client.users.iterate())`, or `await client.users.listAll()` for one array.
 * Items created or deleted while it walks can shift between pages: it is a walk, not a snapshot.
 */
export class PageIterator<T> implements AsyncIterable<T>, PromiseLike<T[]> {
  constructor(
    private readonly fetchPage: PageFetcher<T>,
    private readonly firstPage = 1,
  ) {}

  /** The pages themselves, for callers that want the counts too. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    for (let page = this.firstPage; ; page++) {
      const result = await this.fetchPage(page)
      yield result
      // An empty page ends the walk even if totalPages said more: deletions meanwhile shrink the list.
      if (result.items.length === 0 || page >= result.totalPages) return
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items
  }

  async toArray(): Promise<T[]> {
    const items: T[] = []
    for await (const item of this) items.push(item)
    return items
  }

  /** Awaiting the iterator collects every item, so the common "give me all of them" needs no loop. */
  then<R1 = T[], R2 = never>(
    onfulfilled?: ((items: T[]) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.toArray().then(onfulfilled, onrejected)
  }
}
