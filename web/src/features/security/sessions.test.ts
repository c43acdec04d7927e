import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../api/types';
import { describeUserAgent, revokeQuestion, sortSessions } from './sessions';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

function info(over: Partial<SessionInfo>): SessionInfo {
  return {
    id: '0123456789abcdef',
    user: 'otto',
    role: 'operator',
    client: '127.0.0.1',
    userAgent: CHROME_LINUX,
    created: '2026-01-01T10:00:00Z',
    lastSeen: '2026-01-01T10:00:00Z',
    expiresAt: '2026-01-01T22:00:00Z',
    current: false,
    ...over,
  };
}

describe('describeUserAgent', () => {
  it.each([
    [CHROME_LINUX, 'Chrome 140 on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128 on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari 17 on macOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0', 'Edge 139 on Windows'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/139.0 Mobile/15E148 Safari/604.1', 'Chrome 139 on iOS'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36', 'Headless Chrome 140 on Linux'],
    ['curl/8.5.0', 'curl 8.5.0'],
    ['', 'Unknown client'],
    ['some-very-long-custom-agent-name-that-goes-on-and-on/1.0', 'some-very-long-custom-agent-name-that-g…'],
  ])('%s → %s', (ua, want) => {
    expect(describeUserAgent(ua)).toBe(want);
  });
});

describe('sortSessions', () => {
  it('puts this session first, then users by name, then the most recently used', () => {
    const list = [
      info({ id: 'a', user: 'vera', lastSeen: '2026-01-01T10:05:00Z' }),
      info({ id: 'b', user: 'ada', lastSeen: '2026-01-01T10:01:00Z' }),
      info({ id: 'c', user: 'ada', lastSeen: '2026-01-01T10:09:00Z' }),
      info({ id: 'd', user: 'zed', current: true }),
    ];
    expect(sortSessions(list).map((s) => s.id)).toEqual(['d', 'c', 'b', 'a']);
    // The input is left alone.
    expect(list.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('revokeQuestion', () => {
  it('warns that revoking this session logs out here', () => {
    const q = revokeQuestion(info({ current: true, user: 'ada' }), 'ada');
    expect(q.title).toBe('Log out this session?');
    expect(q.body).toContain('You will be logged out here');
    expect(q.confirmLabel).toBe('Revoke and log out');
  });

  it('names the other user and where their browser is', () => {
    const q = revokeQuestion(info({}), 'ada');
    expect(q.title).toBe('Revoke otto’s session?');
    expect(q.body).toBe('otto’s session in Chrome 140 on Linux, 127.0.0.1 ends at once: that browser goes to the login page and its open consoles close.');
  });

  it('speaks of your own other session', () => {
    expect(revokeQuestion(info({}), 'otto').title).toBe('Revoke your session?');
  });
});
