// The one way to toast a failed request: the server's message and hint
// (ApiError), or a fallback. Shared by every feature, so it lives with the
// other app-wide components rather than in one feature.

import { toast } from 'sonner';
import { ApiError } from '../api/client';
import { sentence } from '../lib/format';

export function toastError(err: unknown, fallback = 'Something went wrong'): void {
  // A refusal for the role is toasted for the whole app (App.tsx) under this id: say it the same way, once.
  if (err instanceof ApiError && err.forbiddenRole) toast.error(sentence(err.message), { id: 'forbidden-role', description: err.hint ? sentence(err.hint) : undefined });
  else if (err instanceof ApiError) toast.error(err.message, { description: err.hint });
  else toast.error(fallback, { description: err instanceof Error ? err.message : undefined });
}
