// The snapshot forms' rules as zod schemas, for react-hook-form: the same
// checks the server makes (model.ts), with messages that say what is wrong
// and what to do.

import { z } from 'zod';
import { DESCRIPTION_MAX, descriptionBytes, nameProblem } from './model';

/** The description rule: at most DESCRIPTION_MAX bytes of UTF-8. */
export const descriptionField = z.string().refine((d) => descriptionBytes(d) <= DESCRIPTION_MAX, {
  error: `The description is longer than ${DESCRIPTION_MAX} bytes: shorten it.`,
});

/** Taking a snapshot: the name must be new and follow the rule. */
export function createSnapshotSchema(existing: ReadonlySet<string>) {
  return z.object({
    name: z.string().superRefine((name, ctx) => {
      const problem = nameProblem(name, existing);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    description: descriptionField,
    kind: z.enum(['memory', 'disk-only']),
    quiesce: z.boolean(),
  });
}

export type CreateSnapshotValues = z.infer<ReturnType<typeof createSnapshotSchema>>;

/** Changing a snapshot's description. */
export const editDescriptionSchema = z.object({ description: descriptionField });

export type EditDescriptionValues = z.infer<typeof editDescriptionSchema>;
