import type { Page } from '@infra/api-types'

export interface PageRequest {
  page: number
  limit: number
}

export const skipTake = ({ page, limit }: PageRequest) => ({ skip: (page - 1) * limit, take: limit })

export function pageOf<T>(items: T[], totalCount: number, { page, limit }: PageRequest): Page<T> {
  return { page, limit, totalCount, totalPages: Math.ceil(totalCount / limit), count: items.length, items }
}
