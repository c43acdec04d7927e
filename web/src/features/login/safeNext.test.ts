import { expect, it } from 'vitest';
import { safeNext } from './LoginPage';

it('only follows same-site paths after login', () => {
  expect(safeNext(null)).toBe('/');
  expect(safeNext('/vms/local/abc')).toBe('/vms/local/abc');
  expect(safeNext('/settings?x=1')).toBe('/settings?x=1');
  expect(safeNext('https://evil.example/')).toBe('/');
  expect(safeNext('//evil.example/')).toBe('/');
  expect(safeNext('/\\evil.example')).toBe('/');
  expect(safeNext('/login?next=/')).toBe('/');
});

it('refuses what browsers would read as another site', () => {
  // Browsers drop tabs and newlines and read backslashes as slashes.
  for (const next of ['/\t/evil.example', '/\n/evil.example', '/\r/evil.example', '/ /evil.example', '/a\\b', '/\u00a0/x', '/\u3000/x', '/\u2028//x'])
    expect(safeNext(next)).toBe('/');
  expect(safeNext('/vms/local/caf%C3%A9')).toBe('/vms/local/caf%C3%A9');
});
