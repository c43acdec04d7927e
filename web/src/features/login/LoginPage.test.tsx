import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { qk } from '../../resources/keys';
import { makeSession } from '../../test/fixtures';
import { json, renderAs } from '../../test/render';
import LoginPage from './LoginPage';

type Answer = () => Promise<Response>;

/** Answers POST /api/v1/login with the next answer; GET /api/v1/session with 401. */
function mockLogin(...answers: Answer[]) {
  const bodies: unknown[] = [];
  const fn = vi.fn((url: string, init?: RequestInit) => {
    if (url === '/api/v1/login') {
      bodies.push(JSON.parse(typeof init?.body === 'string' ? init.body : '{}'));
      const a = answers.shift();
      if (a) return a();
    }
    return json({ error: { code: 'unauthorized', message: 'log in first' } }, 401);
  });
  vi.stubGlobal('fetch', fn);
  return bodies;
}

function openAt(search: string) {
  window.history.replaceState(null, '', `/login${search}`);
  return renderAs(null, <LoginPage />);
}

describe('LoginPage', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('logs in with username and password by default', async () => {
    const bodies = mockLogin(() => json(makeSession('operator')));
    const { qc } = openAt('');
    expect(screen.getByLabelText('Username').getAttribute('autocomplete')).toBe('username');
    expect(screen.getByLabelText('Password').getAttribute('autocomplete')).toBe('current-password');
    expect(screen.queryByLabelText('Access token')).toBeNull();
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: ' otto ' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(qc.getQueryData(qk.session)).toMatchObject({ user: 'otto', role: 'operator' }));
    expect(bodies).toEqual([{ username: 'otto', password: 'pw' }]);
  });

  it('says what is missing before asking the server, and focuses it', async () => {
    const bodies = mockLogin();
    openAt('');
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Enter your username and password.');
    expect(document.activeElement).toBe(screen.getByLabelText('Username'));
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'otto' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Password')));
    expect(screen.getByRole('alert').textContent).toBe('Enter your username and password.');
    expect(bodies).toEqual([]);
  });

  it('shows the server’s message for wrong credentials and clears the password', async () => {
    mockLogin(() => json({ error: { code: 'invalid_credentials', message: 'Wrong username or password.' } }, 401));
    openAt('');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'otto' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    expect(screen.getByLabelText<HTMLInputElement>('Password').value).toBe('');
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText('Password'));
  });

  it('waits as long as the server says after too many attempts', async () => {
    mockLogin(() => json({ error: { code: 'too_many_attempts', message: 'Too many failed logins from 127.0.0.1: try again in 2 s.' } }, 429, { 'Retry-After': '2' }));
    openAt('');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'otto' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Too many failed logins from 127.0.0.1: try again in 2 s.');
    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Log in' });
    expect(button.disabled).toBe(true);
    expect((await screen.findByTestId('login-wait')).textContent).toMatch(/^Logging in is possible again in [12] s\.$/);
    await waitFor(() => expect(button.disabled).toBe(false), { timeout: 4000 });
    expect(screen.queryByTestId('login-wait')).toBeNull();
  });

  it('offers the API token instead, and remembers the choice', async () => {
    const bodies = mockLogin(() => json(makeSession('admin', 'admin')));
    openAt('');
    fireEvent.click(screen.getByRole('button', { name: 'Use an API token' }));
    expect(screen.queryByLabelText('Username')).toBeNull();
    fireEvent.change(screen.getByLabelText('Access token'), { target: { value: 'tok' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
      await Promise.resolve();
    });
    await waitFor(() => expect(bodies).toEqual([{ token: 'tok' }]));
    cleanup();
    openAt('');
    expect(screen.getByLabelText('Access token')).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Use username and password' }));
    expect(screen.getByLabelText('Username')).toBeDefined();
  });

  it.each([
    ['?error=expired', 'Your session ended: it expired, you logged out in another tab, or an admin ended it. Log in again.', 'Username'],
    ['?error=invalid_token', /^The token in that login link is not valid/, 'Access token'],
  ])('explains %s', (search, message, field) => {
    mockLogin();
    openAt(search);
    expect(screen.getByRole('alert').textContent).toMatch(message);
    expect(screen.getByLabelText(field)).toBeDefined();
  });
});
