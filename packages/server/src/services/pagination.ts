import type { Page } from '@infra/api-types'

export interface PageRequest {
  page: number
  limit: number
}

export const skipTake = ({ page, limit }: PageRequest) => ({ skip: (page - 1) * limit, take: limit })

/** A page's own fields, in the order its JSON lists them, before its items. */
export const pageHeader = (count: number, totalCount: number, { page, limit }: PageRequest) => ({
  page,
  limit,
  totalCount,
  totalPages: Math.ceil(totalCount / limit),
  count,
})

export function pageOf<T>(items: T[], totalCount: number, request: PageRequest): Page<T> {
  return { ...pageHeader(items.length, totalCount, request), items }
}
