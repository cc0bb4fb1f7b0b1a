import { z } from 'zod'

/** One entry per bad field: the field's name mapped to what is wrong with it. */
export const FieldError = z.record(z.string(), z.array(z.string()))

export const ErrorBody = z
  .object({
    code: z.number().int().min(400).max(599),
    message: z.string(),
    fieldErrors: z.array(FieldError).optional(),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>
export type FieldError = z.infer<typeof FieldError>
