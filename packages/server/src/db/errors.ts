import { Prisma } from '../generated/prisma/client.js'

/** A unique constraint refused the write: someone else created the same thing first. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002'
}

/** A foreign key pointed at a row that does not exist (or no longer does). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003'
}
