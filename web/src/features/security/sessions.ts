// The Sessions page's logic, kept pure for tests: the order of the list,
// a browser's user agent in a few words, and the words of the revoke
// confirmation.

import type { SessionInfo } from '../../api/types';

/** This session first, then by user, then the most recently used first. */
export function sortSessions(list: readonly SessionInfo[]): SessionInfo[] {
  return [...list].sort((a, b) => {
    if (a.current !== b.current) return a.current ? -1 : 1;
    if (a.user !== b.user) return a.user.localeCompare(b.user);
    return Date.parse(b.lastSeen) - Date.parse(a.lastSeen);
  });
}

const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\bChrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  [/^curl\/(\d+(?:\.\d+)*)/, 'curl'],
  [/^Wget\/(\d+(?:\.\d+)*)/, 'Wget'],
  [/^python-requests\/(\d+(?:\.\d+)*)/, 'Python requests'],
  [/^Go-http-client\/(\d+(?:\.\d+)*)/, 'Go HTTP client'],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** "Chrome 140 on Linux", "Firefox 128 on Windows", "curl 8.5.0"; the start of the text when unknown. */
export function describeUserAgent(ua: string): string {
  const s = ua.trim();
  if (!s) return 'Unknown client';
  let browser: string | undefined;
  for (const [re, name] of BROWSERS) {
    const m = re.exec(s);
    if (m) {
      browser = `${name} ${m[1] ?? ''}`.trim();
      break;
    }
  }
  const system = SYSTEMS.find(([re]) => re.test(s))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** The confirmation for revoking a session. */
export function revokeQuestion(s: SessionInfo, viewer: string): { title: string; body: string; confirmLabel: string } {
  const where = `${describeUserAgent(s.userAgent)}, ${s.client}`;
  if (s.current) {
    return {
      title: 'Log out this session?',
      body: `This is the session you are using (${where}). You will be logged out here at once.`,
      confirmLabel: 'Revoke and log out',
    };
  }
  const whose = s.user === viewer ? 'Your' : `${s.user}’s`;
  return {
    title: `Revoke ${s.user === viewer ? 'your' : `${s.user}’s`} session?`,
    body: `${whose} session in ${where} ends at once: that browser goes to the login page and its open consoles close.`,
    confirmLabel: 'Revoke session',
  };
}
