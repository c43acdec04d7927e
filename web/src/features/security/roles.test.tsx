// What each role is offered: the dashboard's quick actions, the VM details
// page (power actions, Delete, autostart, the console tabs) and the header.

import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { qk } from '../../resources/keys';
import type { Host, Role, VM } from '../../api/types';
import { makeVM } from '../../test/fixtures';
import { json, renderAs, testQueryClient } from '../../test/render';
import { allowedActions } from '../../resources/vm/model';
import { QuickActions } from '../vms/QuickActions';
import VMDetailsPage from '../details/VMDetailsPage';
import { Header } from '../layout/Header';
import { PageLinks } from '../layout/Sidebar';

// The heavy tabs and graphs are not what is tested here.
vi.mock('../console/ConsoleTab', () => ({ default: () => <p>graphical console</p> }));
vi.mock('../serial/SerialTab', () => ({ default: () => <p>serial console</p> }));
vi.mock('../snapshots/SnapshotsTab', () => ({ default: () => <p>snapshots</p> }));
vi.mock('../details/LiveGraphs', () => ({ LiveGraphs: () => null }));

const running: VM = { ...makeVM({ name: 'web', state: 'running', graphics: [{ type: 'vnc', autoport: true, password: false }] }) };
running.actions = allowedActions(running.state);
const host: Host = { name: 'local', uri: 'qemu:///system', state: 'connected', since: '2026-01-01T00:00:00Z', local: true };

function buttons(container: HTMLElement): string[] {
  return within(container)
    .queryAllByRole('button')
    .map((b) => b.getAttribute('aria-label') ?? b.textContent);
}

describe('quick actions', () => {
  afterEach(cleanup);

  it.each([
    ['viewer', []],
    ['operator', ['Shut down', 'Reboot', 'Pause', 'Force off', 'Open console', 'Take snapshot']],
    ['admin', ['Shut down', 'Reboot', 'Pause', 'Force off', 'Open console', 'Take snapshot']],
  ] as [Role, string[]][])('%s gets %j', (role, want) => {
    const { container } = renderAs(role, <QuickActions vm={running} />);
    expect(buttons(container)).toEqual(want);
  });
});

function renderDetails(role: Role, tab?: string) {
  vi.stubGlobal('fetch', vi.fn(() => json({ error: { code: 'not_found', message: 'not here' } }, 404)));
  const qc = testQueryClient();
  qc.setQueryData(qk.vms, [running]);
  qc.setQueryData(qk.hosts, [host]);
  qc.setQueryData(qk.operations, []);
  return renderAs(role, <VMDetailsPage host="local" uuid={running.uuid} tab={tab} />, qc);
}

describe('the VM details page', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows a viewer the VM but no action, and the autostart setting read-only', () => {
    renderDetails('viewer');
    expect(screen.getByRole('heading', { level: 1, name: 'web' })).toBeDefined();
    expect(screen.queryByRole('group', { name: 'Power actions' })).toBeNull();
    for (const name of ['Shut down', 'Take snapshot', 'Delete']) expect(screen.queryByRole('button', { name })).toBeNull();
    expect(screen.queryByRole('switch', { name: 'Start with the host' })).toBeNull();
    expect(screen.getByText('(an admin can change this)')).toBeDefined();
  });

  it.each([
    ['console', 'The console is not available to you'],
    ['serial', 'The serial console is not available to you'],
  ])('tells a viewer why the %s tab shows no console', async (tab, title) => {
    renderDetails('viewer', tab);
    const note = await screen.findByRole('note', { name: title });
    expect(note.textContent).toContain('Your role (viewer) cannot open consoles; ask an admin for the operator role.');
    expect(screen.queryByText(/^(graphical|serial) console$/)).toBeNull();
  });

  it('gives an operator power, console and snapshots, but not Delete or autostart', async () => {
    renderDetails('operator', 'console');
    const group = screen.getByRole('group', { name: 'Power actions' });
    expect(buttons(group)).toEqual(['Shut down', 'Reboot', 'Pause', 'Force off', 'Reset', 'Take snapshot']);
    expect(await screen.findByText('graphical console')).toBeDefined();
  });

  it('keeps the autostart switch from an operator', () => {
    renderDetails('operator');
    expect(screen.queryByRole('switch', { name: 'Start with the host' })).toBeNull();
    expect(screen.getByText('(an admin can change this)')).toBeDefined();
  });

  it('gives an admin everything', () => {
    renderDetails('admin');
    const group = screen.getByRole('group', { name: 'Power actions' });
    expect(buttons(group)).toEqual(['Shut down', 'Reboot', 'Pause', 'Force off', 'Reset', 'Take snapshot', 'Delete']);
    expect(screen.getByRole('switch', { name: 'Start with the host' })).toBeDefined();
  });

  it('binds no power shortcut for a viewer', () => {
    renderDetails('viewer');
    // A command the role cannot use is neither shown nor bound: the key goes on to the page.
    const e = new KeyboardEvent('keydown', { key: 'S', shiftKey: true, cancelable: true });
    window.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(false);
  });

  it('binds the power shortcut for an operator', () => {
    renderDetails('operator');
    const e = new KeyboardEvent('keydown', { key: 'S', shiftKey: true, cancelable: true });
    window.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
  });
});

describe('the header', () => {
  afterEach(cleanup);

  it.each([
    ['viewer', false],
    ['operator', false],
    ['admin', true],
  ] as [Role, boolean][])('%s: audit log in the navigation: %s', (role, audit) => {
    renderAs(
      role,
      <>
        <Header />
        <PageLinks />
      </>,
    );
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Audit log' }) !== null).toBe(audit);
    // The user menu names the user and the role.
    const trigger = screen.getByRole('button', { name: /^User menu: / });
    expect(trigger.textContent).toContain(role);
  });

  it('lists sessions, the audit log (admins) and Log out in the user menu', async () => {
    renderAs('admin', <Header />);
    const trigger = screen.getByRole('button', { name: /^User menu: ada/ });
    fireEvent.pointerDown(trigger, { button: 0, pointerType: 'mouse' });
    const menu = await screen.findByRole('menu');
    expect(within(menu).getAllByRole('menuitem').map((i) => i.textContent)).toEqual(['Sessions (all users)', 'Audit log', 'Settings', 'Log out']);
  });
});
