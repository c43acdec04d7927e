import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import type { ConsoleTicket } from '../../api/types';
import { closeReason, ConsoleConnection, HEALTHY_MS, retryDelay, type ConsoleDeps, type SessionEvents } from './connection';

/** A fake world: tickets answered by hand, sessions recorded, a manual clock. */
function rig() {
  const tickets: { resolve: (t: ConsoleTicket) => void; reject: (e: unknown) => void }[] = [];
  const sessions: { url: string; events: SessionEvents; closed: boolean }[] = [];
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let now = 1_000_000;
  let nextId = 1;
  const deps: ConsoleDeps = {
    requestTicket: () => new Promise((resolve, reject) => tickets.push({ resolve, reject })),
    openSession(url, events) {
      const s = { url, events, closed: false };
      sessions.push(s);
      return {
        close() {
          s.closed = true;
        },
      };
    },
    now: () => now,
    setTimer(fn, ms) {
      const t = { fn, at: now + ms, id: nextId++ };
      timers.push(t);
      return t.id;
    },
    clearTimer(h) {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    random: () => 0.5,
  };
  const conn = new ConsoleConnection(deps);
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return {
    conn,
    tickets,
    sessions,
    timers,
    flush,
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
    async grant(i = tickets.length - 1) {
      tickets[i]?.resolve({ ticket: `t${i}`, url: `/ws?ticket=t${i}`, expiresInSeconds: 30 });
      await flush();
    },
    async refuse(err: unknown, i = tickets.length - 1) {
      tickets[i]?.reject(err);
      await flush();
    },
  };
}

const apiErr = (status: number, code: string) => new ApiError(status, { code, message: `${code} message`, hint: `${code} hint` });

describe('ConsoleConnection', () => {
  it('asks for a ticket, opens the session with its url, and is connected on the RFB handshake', async () => {
    const r = rig();
    r.conn.start(true);
    expect(r.conn.getView().phase).toBe('connecting');
    await r.grant();
    expect(r.sessions[0]?.url).toBe('/ws?ticket=t0');
    r.sessions[0]?.events.connected();
    expect(r.conn.getView()).toMatchObject({ phase: 'connected', everConnected: true });
  });

  it('asks about a VM that does not run once, waits for it, and connects when it starts', async () => {
    const r = rig();
    r.conn.start(false);
    // The server says what the definition lacks first; here, only that the VM is off.
    expect(r.tickets).toHaveLength(1);
    await r.refuse(apiErr(409, 'vm_not_running'));
    expect(r.conn.getView().phase).toBe('vm-stopped');
    expect(r.timers).toHaveLength(0);
    r.conn.setVMRunning(true);
    expect(r.tickets).toHaveLength(2);
    await r.grant();
    r.sessions[0]?.events.connected();
    expect(r.conn.getView().phase).toBe('connected');
  });

  it.each([
    [409, 'vm_not_running', 'vm-stopped'],
    [422, 'no_vnc_graphics', 'no-vnc'],
    [422, 'spice_only', 'spice-only'],
    [422, 'vnc_not_listening', 'not-listening'],
    [503, 'console_unavailable', 'failed'],
    [404, 'vm_not_found', 'failed'],
    [401, 'unauthorized', 'failed'],
  ])('turns a %i %s refusal into %s, with the server’s words', async (status, code, phase) => {
    const r = rig();
    r.conn.start(true);
    await r.refuse(apiErr(status, code));
    expect(r.conn.getView()).toMatchObject({ phase, message: `${code} message`, hint: `${code} hint` });
  });

  it('retries vm_not_running later when the events say the VM runs', async () => {
    const r = rig();
    r.conn.start(true);
    await r.refuse(apiErr(409, 'vm_not_running'));
    expect(r.conn.getView().phase).toBe('vm-stopped');
    expect(r.timers).toHaveLength(1);
    r.advance(1000);
    expect(r.tickets).toHaveLength(2);
  });

  it('connects again when a VM waiting for its next start starts (added VNC)', async () => {
    const r = rig();
    r.conn.start(true);
    await r.refuse(apiErr(422, 'no_vnc_graphics'));
    r.conn.setVMRunning(true); // no change: nothing happens
    expect(r.tickets).toHaveLength(1);
    r.conn.setVMRunning(false);
    expect(r.conn.getView().phase).toBe('no-vnc');
    r.conn.setVMRunning(true);
    expect(r.tickets).toHaveLength(2);
    expect(r.conn.getView().phase).toBe('connecting');
  });

  it('reconnects after a drop with exponential backoff and a fresh ticket each time', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.sessions[0]?.events.connected();
    r.sessions[0]?.events.closed({ clean: false, code: 1006 });
    let v = r.conn.getView();
    expect(v).toMatchObject({ phase: 'reconnecting', message: 'the connection was lost', attempt: 1, everConnected: true });
    expect(v.retryAt).toBe(1_000_000 + 1000);
    r.advance(999);
    expect(r.tickets).toHaveLength(1);
    r.advance(1);
    expect(r.tickets).toHaveLength(2);
    await r.refuse(new ApiError(0, { code: 'unreachable', message: 'The KVM Manager server cannot be reached' }));
    v = r.conn.getView();
    expect(v).toMatchObject({ phase: 'reconnecting', message: 'The KVM Manager server cannot be reached', attempt: 2 });
    expect(v.retryAt).toBe(1_001_000 + 2000);
    r.advance(2000);
    await r.refuse(new Error('boom'));
    expect(r.conn.getView().retryAt).toBe(1_003_000 + 4000);
    r.advance(4000);
    await r.grant();
    expect(r.sessions[1]?.url).toBe(`/ws?ticket=t3`);
  });

  it('starts the backoff over after a healthy connection', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.sessions[0]?.events.closed({ clean: false });
    r.advance(1000);
    await r.grant();
    r.sessions[1]?.events.connected();
    r.advance(HEALTHY_MS);
    r.sessions[1]?.events.closed({ clean: true, code: 1000, reason: 'the VM’s display closed' });
    expect(r.conn.getView()).toMatchObject({ phase: 'reconnecting', attempt: 1, message: 'the VM’s display closed' });
  });

  it('waits for the VM after a drop when the VM stopped', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.sessions[0]?.events.connected();
    r.conn.setVMRunning(false); // the session is still open: it ends by itself
    expect(r.conn.getView().phase).toBe('connected');
    r.sessions[0]?.events.closed({ clean: true, reason: 'the VM’s display closed (the VM may have stopped)' });
    expect(r.conn.getView()).toMatchObject({ phase: 'vm-stopped' });
    expect(r.timers).toHaveLength(0);
    r.conn.setVMRunning(true);
    await r.grant();
    r.sessions[1]?.events.connected();
    expect(r.conn.getView().phase).toBe('connected');
  });

  it('stops retrying when the VM stops while reconnecting', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.sessions[0]?.events.closed({ clean: false });
    expect(r.conn.getView().phase).toBe('reconnecting');
    r.conn.setVMRunning(false);
    expect(r.conn.getView().phase).toBe('vm-stopped');
    expect(r.timers).toHaveLength(0);
  });

  it('Reconnect connects at once and closes the old session', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.conn.connect();
    expect(r.sessions[0]?.closed).toBe(true);
    expect(r.tickets).toHaveLength(2);
    // The old session's late events are ignored.
    r.sessions[0]?.events.connected();
    expect(r.conn.getView().phase).toBe('connecting');
  });

  it('stays disconnected after the user disconnects, and ignores late answers', async () => {
    const r = rig();
    r.conn.start(true);
    r.conn.disconnect();
    expect(r.conn.getView().phase).toBe('disconnected');
    await r.grant();
    expect(r.sessions).toHaveLength(0);
    r.conn.setVMRunning(false);
    r.conn.setVMRunning(true);
    expect(r.tickets).toHaveLength(1);
  });

  it('closes everything on dispose', async () => {
    const r = rig();
    r.conn.start(true);
    await r.grant();
    r.conn.dispose();
    expect(r.sessions[0]?.closed).toBe(true);
    r.sessions[0]?.events.closed({ clean: false });
    expect(r.timers).toHaveLength(0);
  });

  it('retries when opening the session throws', async () => {
    const r = rig();
    const deps = { ...r } as unknown;
    expect(deps).toBeTruthy();
    const conn = new ConsoleConnection({
      requestTicket: () => Promise.resolve({ ticket: 't', url: '/ws', expiresInSeconds: 30 }),
      openSession: () => {
        throw new Error('no WebSocket');
      },
      now: () => 0,
      setTimer: () => 1,
      clearTimer: () => undefined,
      random: () => 0.5,
    });
    conn.start(true);
    await r.flush();
    expect(conn.getView()).toMatchObject({ phase: 'reconnecting', message: 'no WebSocket' });
  });
});

describe('retryDelay and closeReason', () => {
  it('doubles from 1 s to 30 s with ±20 % jitter', () => {
    expect(retryDelay(0, () => 0.5)).toBe(1000);
    expect(retryDelay(1, () => 0.5)).toBe(2000);
    expect(retryDelay(4, () => 0.5)).toBe(16_000);
    expect(retryDelay(5, () => 0.5)).toBe(30_000);
    expect(retryDelay(50, () => 0.5)).toBe(30_000);
    expect(retryDelay(0, () => 0)).toBe(800);
    expect(retryDelay(0, () => 1)).toBe(1200);
  });

  it('prefers the server’s reason', () => {
    expect(closeReason({ clean: true, code: 1000, reason: ' KVM Manager is shutting down ' })).toBe('KVM Manager is shutting down');
    expect(closeReason({ clean: false, code: 1001 })).toBe('the server went away');
    expect(closeReason({ clean: false, code: 1006 })).toBe('the connection was lost');
    expect(closeReason({ clean: false })).toBe('the connection was lost');
    expect(closeReason({ clean: true })).toBe('the connection closed');
    expect(closeReason({ clean: false, code: 4000 })).toBe('the connection was lost (code 4000)');
  });
});

describe('a VM that is off', () => {
  it('shows what its definition lacks rather than "not running"', async () => {
    const r = rig();
    r.conn.start(false);
    r.conn.setVMRunning(false); // the same state again: no change
    expect(r.conn.getView().phase).toBe('connecting');
    await r.refuse(apiErr(422, 'no_vnc_graphics'));
    expect(r.conn.getView().phase).toBe('no-vnc');
    r.conn.setVMRunning(true);
    expect(r.tickets).toHaveLength(2);
  });
});
