import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { formatWait, LINK_ERRORS, loginProblem } from './loginError';

describe('loginProblem', () => {
  it('shows the server’s words for wrong credentials and marks the fields', () => {
    // The server's words, as sentences.
    const err = new ApiError(401, { code: 'invalid_credentials', message: 'the user name or password is wrong', hint: 'check both and try again' });
    expect(loginProblem(err)).toEqual({ message: 'The user name or password is wrong.', hint: 'Check both and try again.', badInput: true });
  });

  it('knows until when logging in is refused after too many attempts', () => {
    const err = new ApiError(429, { code: 'too_many_attempts', message: 'too many failed logins from your address: wait 60 seconds before trying again' }, 60);
    const p = loginProblem(err, 1_000_000);
    expect(p.message).toBe('Too many failed logins from your address: wait 60 seconds before trying again.');
    expect(p.retryAt).toBe(1_060_000);
    expect(p.badInput).toBeUndefined();
  });

  it('has no wait without Retry-After', () => {
    const err = new ApiError(429, { code: 'too_many_attempts', message: 'slow down' });
    expect(loginProblem(err).retryAt).toBeUndefined();
  });

  it('does not blame the input for a server that is away', () => {
    const err = new ApiError(0, { code: 'unreachable', message: 'The KVM Manager server cannot be reached' });
    expect(loginProblem(err).badInput).toBe(false);
    expect(loginProblem(new TypeError('boom'))).toEqual({ message: 'Logging in failed.', hint: 'boom' });
  });
});

describe('formatWait', () => {
  it.each([
    [0, '0 s'],
    [-5, '0 s'],
    [1, '1 s'],
    [999, '1 s'],
    [59_001, '1 min'],
    [60_000, '1 min'],
    [125_000, '2 min 5 s'],
  ])('%i ms → %s', (ms, want) => {
    expect(formatWait(ms)).toBe(want);
  });
});

describe('LINK_ERRORS', () => {
  it('says when a session was ended by the cap on sessions per user', () => {
    expect(LINK_ERRORS.session_limit).toMatch(/more sessions than allowed/);
    expect(LINK_ERRORS.session_limit).not.toBe(LINK_ERRORS.expired);
  });
});
