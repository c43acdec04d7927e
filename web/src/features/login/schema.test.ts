import { describe, expect, it } from 'vitest';
import { loginBody, loginSchema } from './schema';

describe('login schema', () => {
  it('asks for both fields with a password, and for the token with a token', () => {
    const pw = loginSchema.safeParse({ method: 'password', username: '  ', password: '', token: '' });
    expect(pw.success).toBe(false);
    expect(pw.error?.issues.map((i) => i.message)).toEqual(['Enter your username and password.', 'Enter your username and password.']);
    const tok = loginSchema.safeParse({ method: 'token', username: '', password: '', token: ' ' });
    expect(tok.error?.issues.map((i) => i.message)).toEqual(['Paste the access token first.']);
  });

  it('sends the username and the token trimmed, the password as typed', () => {
    expect(loginBody({ method: 'password', username: ' otto ', password: ' pw ', token: 'left over' })).toEqual({ username: 'otto', password: ' pw ' });
    expect(loginBody({ method: 'token', username: 'otto', password: 'pw', token: ' tok ' })).toEqual({ token: 'tok' });
  });
});
