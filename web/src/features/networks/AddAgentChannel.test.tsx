// The one-click "Add guest agent channel": offered to an admin for a running
// VM without the channel, it posts to the server and says that it takes
// effect at the next start; other roles are not offered it.

import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VM } from '../../api/types';
import { makeVM } from '../../test/fixtures';
import { json, renderAs } from '../../test/render';
import { GuestFacts } from './GuestFacts';

const vm: VM = { ...makeVM({ name: 'web', state: 'running' }), guest: { agent: 'none' } };

describe('Add guest agent channel', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('posts the fix for an admin and says it takes effect at the next start', async () => {
    const fetch = vi.fn(() =>
      json({
        added: true,
        effectiveAtNextStart: true,
        message: 'a guest agent channel was added to the VM\'s definition; it takes effect the next time the VM starts',
        vm,
      }),
    );
    vi.stubGlobal('fetch', fetch);
    renderAs('admin', <dl><GuestFacts vm={vm} /></dl>);
    expect(screen.getByText(/Takes effect the next time the VM starts/)).toBeDefined();
    fireEvent.click(screen.getByRole('button', { name: 'Add guest agent channel' }));
    const done = await screen.findByTestId('agent-channel-added');
    expect(done.textContent).toContain('takes effect the next time the VM starts');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toContain(`/vms/${vm.uuid}/guest-agent/channel`);
    expect(init.method).toBe('POST');
  });

  it('is not offered to an operator, nor when the VM has the channel', () => {
    renderAs('operator', <dl><GuestFacts vm={vm} /></dl>);
    expect(screen.queryByRole('button', { name: 'Add guest agent channel' })).toBeNull();
    cleanup();
    renderAs('admin', <dl><GuestFacts vm={{ ...vm, guest: { agent: 'connected' } }} /></dl>);
    expect(screen.queryByRole('button', { name: 'Add guest agent channel' })).toBeNull();
  });
});
