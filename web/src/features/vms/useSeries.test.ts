import { beforeEach, describe, expect, it, vi } from 'vitest';

const api = vi.fn(() => Promise.resolve({ samples: [] }));
vi.mock('../../api/client', () => ({ api, vmPath: (h: string, u: string) => `/api/v1/hosts/${h}/vms/${u}` }));

const { forgetHistory, loadHistory } = await import('./useSeries');
const { statsStore } = await import('../../api/stats');

describe('loadHistory', () => {
  beforeEach(() => api.mockClear());

  it('loads a VM\'s history once, and again after a logout (a new session)', async () => {
    loadHistory('h', 'u1');
    loadHistory('h', 'u1');
    await vi.waitFor(() => expect(api).toHaveBeenCalledTimes(1));
    // What useLogout does.
    statsStore.clear();
    forgetHistory();
    loadHistory('h', 'u1');
    await vi.waitFor(() => expect(api).toHaveBeenCalledTimes(2));
  });
});
