import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeVM } from '../../test/fixtures';
import { DeleteVMDialog, deleteRequest, linkedClonesOf } from './DeleteVMDialog';

const vm = makeVM({
  name: 'db',
  state: 'running',
  firmware: 'efi',
  snapshotCount: 2,
  disks: [
    { target: 'vda', device: 'disk', type: 'file', source: '/img/db.qcow2', capacityBytes: 10737418240, allocationBytes: 1073741824 },
    { target: 'sda', device: 'cdrom', type: 'file', source: '/iso/debian.iso' },
    { target: 'vdb', device: 'disk', type: 'block', source: '/dev/vg/db' },
  ],
});

function renderDialog() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <DeleteVMDialog vm={vm} open onOpenChange={() => undefined} localHost />
    </QueryClientProvider>,
  );
}

describe('DeleteVMDialog', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('ticks no disk by default and needs explicit choices', () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404 }))));
    renderDialog();
    expect(screen.getByRole('dialog')).toBeDefined();
    const boxes = screen.getAllByRole<HTMLInputElement>('checkbox');
    expect(boxes.every((b) => !b.checked)).toBe(true);
    // The block device cannot be removed here.
    const block = screen.getByLabelText(/image of\s*vdb/i);
    expect((block as HTMLInputElement).disabled).toBe(true);
    const del = screen.getByRole<HTMLButtonElement>('button', { name: 'Delete VM' });
    expect(del.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText(/Delete its 2 snapshots/));
    expect(del.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText(/Power it off first/));
    expect(del.disabled).toBe(false);
    // The summary names what goes and what stays.
    expect(screen.getByText(/Kept on the host: 3 disks/)).toBeDefined();
  });

  it('sends exactly the chosen disks', async () => {
    const fetchMock = vi.fn((_url: string, init?: RequestInit) => {
      if (init?.method === 'DELETE') {
        return Promise.resolve(
          new Response(JSON.stringify({ id: 'op1', kind: 'delete', target: { name: 'db' }, state: 'running', progress: { stage: 'starting' }, started: '', mayCancel: false }), {
            status: 202,
          }),
        );
      }
      return Promise.resolve(new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404 }));
    });
    vi.stubGlobal('fetch', fetchMock);
    renderDialog();
    fireEvent.click(screen.getByLabelText(/image of\s*vda/i));
    fireEvent.click(screen.getByLabelText(/Delete its 2 snapshots/));
    fireEvent.click(screen.getByLabelText(/Power it off first/));
    fireEvent.click(screen.getByRole('button', { name: 'Delete VM' }));
    await waitFor(() => expect(fetchMock.mock.calls.some((c) => c[1]?.method === 'DELETE')).toBe(true));
    const call = fetchMock.mock.calls.find((c) => c[1]?.method === 'DELETE');
    expect(JSON.parse(call?.[1]?.body as string)).toEqual({ disks: ['vda'], force: true, removeNvram: false, snapshots: 'delete' });
  });
});

describe('linked clones', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  const tmpl = makeVM({
    name: 'golden',
    uuid: '00000000-0000-4000-8000-000000000010',
    state: 'shutoff',
    template: true,
    disks: [
      { target: 'vda', device: 'disk', type: 'file', source: '/img/golden.qcow2' },
      { target: 'sda', device: 'cdrom', type: 'file', source: '/iso/debian.iso' },
    ],
  });
  const others = [
    makeVM({ name: 'web-2', uuid: '00000000-0000-4000-8000-000000000012', clonedFrom: tmpl.uuid, linkedClone: true }),
    makeVM({ name: 'web-1', uuid: '00000000-0000-4000-8000-000000000011', clonedFrom: tmpl.uuid, linkedClone: true }),
    makeVM({ name: 'full-copy', uuid: '00000000-0000-4000-8000-000000000013', clonedFrom: tmpl.uuid }),
    makeVM({ name: 'elsewhere', host: 'kvm2', uuid: '00000000-0000-4000-8000-000000000014', clonedFrom: tmpl.uuid, linkedClone: true }),
  ];

  it('names the linked clones of the same host only', () => {
    expect(linkedClonesOf(tmpl, [tmpl, ...others])).toEqual(['web-1', 'web-2']);
    for (const o of others) expect(linkedClonesOf(o, [tmpl, ...others])).toEqual([]);
  });

  it('lists them and keeps the images they back onto', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) =>
        Promise.resolve(
          url.endsWith('/api/v1/vms')
            ? new Response(JSON.stringify({ vms: [tmpl, ...others] }), { status: 200 })
            : new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404 }),
        ),
      ),
    );
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={qc}>
        <DeleteVMDialog vm={tmpl} open onOpenChange={() => undefined} localHost />
      </QueryClientProvider>,
    );
    await waitFor(() => expect(screen.getByText('Linked clones')).toBeDefined());
    expect(screen.getByText('web-1')).toBeDefined();
    expect(screen.getByText('web-2')).toBeDefined();
    expect(screen.queryByText('full-copy')).toBeNull();
    const disk = screen.getByLabelText<HTMLInputElement>(/image of\s*vda/i);
    expect(disk.disabled).toBe(true);
    expect(screen.getByText(/linked clones web-1, web-2 back onto it/)).toBeDefined();
    // The VM itself can still be deleted, its images kept.
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Delete VM' }).disabled).toBe(false);
  });
});

describe('deleteRequest', () => {
  it('names snapshots only when chosen', () => {
    expect(deleteRequest(vm, new Set(), { snapshots: false, force: false, nvram: true })).toEqual({ disks: [], force: false, removeNvram: true });
  });
});
