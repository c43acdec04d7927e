import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Tooltip } from 'radix-ui';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { qk } from '../../resources/keys';
import type { Operation, Role, Snapshot, SnapshotCapability, SnapshotList } from '../../api/types';
import { makeSession, makeVM } from '../../test/fixtures';
import { CommandsProvider } from '../commands/CommandsProvider';
import SnapshotsTab from './SnapshotsTab';

const vm = makeVM({ name: 'web', snapshotCount: 2 });
const base = `/api/v1/hosts/local/vms/${vm.uuid}/snapshots`;

const cap = (possible = true, reasons: string[] = []): SnapshotCapability => ({ possible, location: 'internal', reasons, fixes: [], notes: [] });

function snap(name: string, over: Partial<Snapshot> = {}): Snapshot {
  return {
    name,
    description: '',
    creationTime: '2026-11-26T10:00:00Z',
    state: 'running',
    children: [],
    descendants: 0,
    current: false,
    location: 'internal',
    memory: true,
    screenshot: false,
    ...over,
  };
}

function makeList(over: Partial<SnapshotList> = {}): SnapshotList {
  return {
    host: 'local',
    uuid: vm.uuid,
    vm: 'web',
    vmState: 'running',
    count: 2,
    current: 'b',
    snapshots: [snap('a', { children: ['b'], descendants: 1 }), snap('b', { parent: 'a', current: true })],
    tree: [{ name: 'a', children: [{ name: 'b', children: [] }] }],
    capabilities: {
      vmState: 'running',
      libvirtVersion: '9.0.0',
      default: 'memory',
      memory: cap(),
      'disk-only': { ...cap(), location: 'external' },
      quiesce: cap(false, ['the VM has no QEMU guest agent channel']),
      revertExternal: cap(false),
      guestAgent: 'none',
    },
    screenshots: true,
    ...over,
  };
}

function json(body: unknown, status = 200): Promise<Response> {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

type Handler = (url: string, init?: RequestInit) => Promise<Response> | undefined;

function mockFetch(list: SnapshotList, extra?: Handler) {
  const fn = vi.fn((input: string, init?: RequestInit) => {
    const url = input;
    const r = extra?.(url, init);
    if (r) return r;
    if (url === base && (init?.method ?? 'GET') === 'GET') return json(list);
    if (url === '/api/v1/operations') return json({ operations: [] });
    if (url.endsWith('/diff')) return json({ snapshot: 'x', identical: true, summary: [], unified: '' });
    const m = /\/snapshots\/([^/?]+)$/.exec(url);
    if (m && (init?.method ?? 'GET') === 'GET') {
      const s = list.snapshots?.find((x) => x.name === decodeURIComponent(m[1] ?? ''));
      if (!s) return json({ error: { code: 'snapshot_not_found', message: 'no such snapshot' } }, 404);
      return json({
        ...s,
        vmState: 'running',
        disks: [],
        domainXML: '<domain/>',
        revert: { ...cap(), needsConfirm: true, impact: { message: 'the current state of VM "web" will be lost' } },
        delete: { one: cap(), subtree: cap(), children: s.descendants > 0 ? cap() : cap(false, [`snapshot "${s.name}" has no children`]) },
      });
    }
    return json({ error: { code: 'not_found', message: `unexpected ${url}` } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

function renderTab(qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } }), role: Role = 'operator') {
  qc.setQueryData(qk.session, makeSession(role));
  render(
    <QueryClientProvider client={qc}>
      <Tooltip.Provider>
        <CommandsProvider>
          <SnapshotsTab vm={vm} />
        </CommandsProvider>
      </Tooltip.Provider>
    </QueryClientProvider>,
  );
  return qc;
}

const item = (name: RegExp) => screen.getByRole('treeitem', { name });

describe('SnapshotsTab', () => {
  afterEach(() => {
    cleanup();
    window.history.replaceState(null, '', '/');
    vi.unstubAllGlobals();
  });

  it('shows the tree with the current snapshot selected and the live state under it', async () => {
    mockFetch(makeList());
    renderTab();
    const tree = await screen.findByRole('tree', { name: 'Snapshots of web' });
    const items = within(tree).getAllByRole('treeitem');
    expect(items.map((i) => i.textContent)).toEqual([
      expect.stringMatching(/^a .*2026.* · Running · with memory $/),
      expect.stringMatching(/^b current .*2026/),
      'You are here live state · Running ',
    ]);
    const b = item(/^b current/);
    expect(b.getAttribute('aria-selected')).toBe('true');
    expect(b.getAttribute('aria-level')).toBe('2');
    expect(b.getAttribute('aria-expanded')).toBe('true');
    expect(b.tabIndex).toBe(0);
    expect(item(/^a /).tabIndex).toBe(-1);
    // The details panel follows the selection.
    expect(await screen.findByRole('heading', { level: 2, name: /^b/ })).toBeDefined();
  });

  it('moves, collapses and expands with the arrow keys', async () => {
    mockFetch(makeList());
    renderTab();
    await screen.findByRole('tree');
    const b = item(/^b /);
    b.focus();
    fireEvent.keyDown(b, { key: 'ArrowUp' });
    expect(item(/^a /).getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(item(/^a /));
    fireEvent.keyDown(item(/^a /), { key: 'ArrowLeft' });
    expect(item(/^a /).getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('treeitem', { name: /^b / })).toBeNull();
    fireEvent.keyDown(item(/^a /), { key: 'ArrowRight' });
    expect(item(/^b /)).toBeDefined();
    fireEvent.keyDown(item(/^a /), { key: 'End' });
    expect(document.activeElement?.textContent).toMatch(/^You are here/);
  });

  it('asks before deleting when Delete is pressed in the tree, with the scope the snapshot allows', async () => {
    mockFetch(makeList());
    renderTab();
    await screen.findByRole('tree');
    const a = item(/^a /);
    fireEvent.click(a);
    fireEvent.keyDown(a, { key: 'Delete' });
    const dialog = await screen.findByRole('alertdialog');
    expect(within(dialog).getByText('Delete snapshot “a”?')).toBeDefined();
    // a has a descendant: the three scopes are offered, and each says what it removes.
    fireEvent.click(within(dialog).getByLabelText(/“a” and its 1 descendant/));
    expect(within(dialog).getByText(/Deleted: 2 snapshots — “a” and “b”/)).toBeDefined();
    expect(within(dialog).getByText(/The current snapshot is deleted: the VM then has no current snapshot/)).toBeDefined();
    await waitFor(() => expect(within(dialog).getByRole<HTMLButtonElement>('button', { name: 'Delete 2 snapshots' }).disabled).toBe(false));
  });

  it('checks the name as it is typed, and does not send a name the rule refuses', async () => {
    const fetchMock = mockFetch(makeList());
    renderTab();
    await screen.findByRole('tree');
    fireEvent.click(screen.getByRole('button', { name: /New snapshot/ }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('It will be created as a child of “b”, the current snapshot. A screenshot of the console is stored with it.')).toBeDefined();
    const name = within(dialog).getByRole('textbox', { name: 'Name' });
    fireEvent.change(name, { target: { value: 'b' } });
    expect(await within(dialog).findByText('This VM already has a snapshot named “b”.')).toBeDefined();
    fireEvent.change(name, { target: { value: 'bad name!' } });
    expect(await within(dialog).findByText('The name contains a space.')).toBeDefined();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    // The error is read with the field, and so is the rule that says what to do.
    const described = (name.getAttribute('aria-describedby') ?? '').split(' ').map((i) => document.getElementById(i)?.textContent);
    expect(described).toEqual(['The name contains a space.', expect.stringMatching(/^Names: 1 to 64 characters/)]);
    fireEvent.click(within(dialog).getByRole('button', { name: /Create snapshot/ }));
    await waitFor(() => expect(document.activeElement).toBe(name));
    expect(fetchMock.mock.calls.find((c) => c[1]?.method === 'POST')).toBeUndefined();
  });

  it('takes a snapshot: sends the choices, follows the operation, selects the new snapshot', async () => {
    const op: Operation = {
      id: 'op1',
      kind: 'snapshot-create',
      target: { host: 'local', uuid: vm.uuid, name: 'web' },
      state: 'running',
      progress: { stage: 'saving memory and disks', percent: 40 },
      started: '2026-11-26T10:00:00Z',
      mayCancel: false,
    };
    const list = makeList();
    const fetchMock = mockFetch(list, (url, init) => (url === base && init?.method === 'POST' ? json(op, 202) : undefined));
    const qc = renderTab();
    await screen.findByRole('tree');
    fireEvent.click(screen.getByRole('button', { name: /New snapshot/ }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Name' }), { target: { value: 'before-upgrade' } });
    fireEvent.change(within(dialog).getByRole('textbox', { name: /Description/ }), { target: { value: 'kernel 6.12' } });
    fireEvent.click(within(dialog).getByLabelText(/Disks only/));
    // No guest agent: quiescing cannot be chosen, and the dialog says why.
    expect(within(dialog).getByLabelText<HTMLInputElement>(/Quiesce file systems/).disabled).toBe(true);
    expect(within(dialog).getByText('the VM has no QEMU guest agent channel.')).toBeDefined();
    fireEvent.click(within(dialog).getByRole('button', { name: /Create snapshot/ }));
    expect(await within(dialog).findByText(/Taking the snapshot… 40% · saving memory and disks/)).toBeDefined();
    expect(within(dialog).getByRole<HTMLButtonElement>('button', { name: /Creating/ }).disabled).toBe(true);
    const post = fetchMock.mock.calls.find((c) => c[1]?.method === 'POST');
    expect(JSON.parse(post?.[1]?.body as string)).toEqual({ name: 'before-upgrade', description: 'kernel 6.12', memory: false, quiesce: false });

    // The operation ends (as its event would say) and the list has the new snapshot.
    list.snapshots = [...(list.snapshots ?? []), snap('before-upgrade', { parent: 'b', current: true })];
    list.current = 'before-upgrade';
    act(() => {
      qc.setQueryData<Operation[]>(qk.operations, [
        { ...op, state: 'succeeded', progress: { stage: 'done', percent: 100 }, result: { snapshot: snap('before-upgrade'), quiesced: false, screenshotPending: true } },
      ]);
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await act(() => qc.invalidateQueries({ queryKey: qk.snapshots('local', vm.uuid) }));
    await waitFor(() => expect(item(/^before-upgrade current/).getAttribute('aria-selected')).toBe('true'));
  });

  it('opens the create dialog for the intent in the address (?do=snapshot), then forgets it', async () => {
    mockFetch(makeList());
    window.history.replaceState(null, '', `/vms/local/${vm.uuid}/snapshots?do=snapshot`);
    renderTab();
    expect(await screen.findByRole('dialog', { name: 'Take a snapshot of “web”' })).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // Answered: the address no longer asks for it.
    expect(window.location.pathname + window.location.search).toBe(`/vms/local/${vm.uuid}/snapshots`);
  });

  it('shows why no snapshot can be taken before the click', async () => {
    const reasons = ['the VM boots UEFI firmware with its variables in pflash, and libvirt 9.0.0 cannot take internal snapshots of such VMs'];
    const list = makeList();
    list.capabilities.memory = { ...cap(false, reasons), fixes: ['upgrade libvirt on the host to 10.9.0 or newer'] };
    list.capabilities['disk-only'] = cap(false, reasons);
    mockFetch(list);
    renderTab();
    await screen.findByRole('tree');
    expect(screen.getByText('web cannot take a snapshot now')).toBeDefined();
    // Said once, though both kinds give the same reason.
    const note = screen.getByRole('note');
    expect(within(note).getByText(`${reasons[0] ?? ''}.`)).toBeDefined();
    expect(within(note).getAllByText(/pflash/)).toHaveLength(1);
    expect(within(note).getByText('To fix: upgrade libvirt on the host to 10.9.0 or newer.')).toBeDefined();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: /New snapshot/ }).disabled).toBe(true);
  });

  it('disables the actions while a snapshot operation runs', async () => {
    const list = makeList({ busy: { operation: 'op9', kind: 'revert', snapshot: 'a', since: '2026-11-26T10:00:00Z' } });
    mockFetch(list, (url) =>
      url === '/api/v1/operations'
        ? json({
            operations: [
              {
                id: 'op9',
                kind: 'snapshot-revert',
                target: { host: 'local', uuid: vm.uuid, name: 'web' },
                state: 'running',
                progress: { stage: 'reverting to a', percent: 50 },
                started: '2026-11-26T10:00:00Z',
                mayCancel: false,
              },
            ],
          })
        : undefined,
    );
    renderTab();
    await screen.findByRole('tree');
    await waitFor(() => expect(screen.getByRole<HTMLButtonElement>('button', { name: /New snapshot/ }).disabled).toBe(true));
    expect(screen.getByRole<HTMLButtonElement>('button', { name: /Revert to selected/ }).disabled).toBe(true);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: /Delete selected/ }).disabled).toBe(true);
    expect(screen.getByText(/Reverting web \(“a”\) · 50% · reverting to a/)).toBeDefined();
    expect(item(/^a /).getAttribute('aria-busy')).toBe('true');
  });

  it('shows a viewer the tree and the details but nothing that changes snapshots', async () => {
    mockFetch(makeList({ snapshots: [snap('a', { children: ['b'], descendants: 1 }), snap('b', { parent: 'a', current: true, screenshot: true })] }));
    renderTab(undefined, 'viewer');
    await screen.findByRole('tree', { name: 'Snapshots of web' });
    expect(await screen.findByRole('heading', { level: 2, name: /^b/ })).toBeDefined();
    for (const name of [/New snapshot/, /Revert/, /Delete/, /Edit description/, /Take a snapshot/]) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
    expect(screen.getByTestId('role-hint').textContent).toBe('Your role (viewer) cannot take, revert, change or delete snapshots; ask an admin for the operator role.');
    // The stored screenshot is an operator's to see: said, not fetched.
    expect(await screen.findByText(/A console screenshot is stored with this snapshot/)).toBeDefined();
    expect(screen.queryByRole('img', { name: /when snapshot b was taken/ })).toBeNull();
    // The shortcuts open no dialog.
    fireEvent.keyDown(window, { key: 'n' });
    fireEvent.keyDown(window, { key: 'r' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens the create dialog with n for an operator', async () => {
    mockFetch(makeList());
    renderTab(undefined, 'operator');
    await screen.findByRole('tree');
    fireEvent.keyDown(window, { key: 'n' });
    expect(await screen.findByRole('dialog')).toBeDefined();
  });
});
