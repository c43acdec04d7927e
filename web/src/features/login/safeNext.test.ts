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
