// "Add CD-ROM drive" on the Overview of a VM without one: offered to admins
// only; for a running VM it says the drive comes at the next start.

import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VM } from '../../api/types';
import { makeVM } from '../../test/fixtures';
import { json, renderAs } from '../../test/render';
import { CdromDrives } from './CdromDrives';

const vm: VM = { ...makeVM({ name: 'web', state: 'running' }), disks: [] };

describe('Add CD-ROM drive', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('adds a drive for an admin and says when it takes effect', async () => {
    const fetch = vi.fn((url: string) =>
      url.endsWith('/cdrom')
        ? json({ target: 'sda', bus: 'sata', effectiveAtNextStart: true, message: 'a CD-ROM drive (sda) was added; it takes effect the next time the VM starts' })
        : json(vm),
    );
    vi.stubGlobal('fetch', fetch);
    renderAs('admin', <CdromDrives vm={vm} />);
    expect(screen.getByText(/takes effect the next time the VM starts/)).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Add CD-ROM drive' }));
    const done = await screen.findByTestId('cdrom-added');
    expect(done.textContent).toContain('(sda) was added');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toContain(`/vms/${vm.uuid}/cdrom`);
    expect(init.method).toBe('POST');
  });

  it('is not offered to an operator', () => {
    renderAs('operator', <CdromDrives vm={vm} />);
    expect(screen.queryByRole('button', { name: 'Add CD-ROM drive' })).toBeNull();
  });
});
