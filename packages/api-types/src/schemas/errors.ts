import { z } from 'zod'

/** One entry per bad field: its name (a path such as `grantsToAdd.0.resource`) and what is wrong with it. */
export const FieldError = z.object({ fieldName: z.string(), errors: z.array(z.string()) })

export const ErrorBody = z
  .object({
    code: z.number().int().min(400).max(599),
    message: z.string(),
    fieldErrors: z.array(FieldError).optional(),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>
export type FieldError = z.infer<typeof FieldError>
