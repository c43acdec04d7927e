// The login form's rules as a zod schema, for react-hook-form: with a
// password, both fields; with the API token, the token. The server checks
// the credentials; this only says what is missing before asking it.

import { z } from 'zod';

const filled = (message: string) => z.string().refine((s) => s.trim() !== '', { error: message });
const MISSING = 'Enter your username and password.';

export const loginSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('password'), username: filled(MISSING), password: z.string().min(1, { error: MISSING }), token: z.string() }),
  z.object({ method: z.literal('token'), token: filled('Paste the access token first.'), username: z.string(), password: z.string() }),
]);

export type LoginValues = z.infer<typeof loginSchema>;

/** The body of POST /api/v1/session for valid values (the username and token trimmed). */
export function loginBody(v: LoginValues): { username: string; password: string } | { token: string } {
  return v.method === 'token' ? { token: v.token.trim() } : { username: v.username.trim(), password: v.password };
}
