import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeVM } from '../../test/fixtures';
import { DeleteVMDialog, deleteRequest } from './DeleteVMDialog';

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

describe('deleteRequest', () => {
  it('names snapshots only when chosen', () => {
    expect(deleteRequest(vm, new Set(), { snapshots: false, force: false, nvram: true })).toEqual({ disks: [], force: false, removeNvram: true });
  });
});
