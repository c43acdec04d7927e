import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import type { SerialTicket } from '../../api/types';
import { SerialConnection, type SerialDeps, type SocketLike, type TerminalSink } from './connection';

class FakeSocket implements SocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: (Uint8Array | string)[] = [];
  closedWith: number | undefined;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  constructor(readonly url: string) {}
  send(data: ArrayBufferView<ArrayBuffer> | string): void {
    this.sent.push(typeof data === 'string' ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  text(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) } as MessageEvent);
  }
  bytes(b: number[] | Uint8Array): void {
    this.onmessage?.({ data: new Uint8Array(b).buffer } as MessageEvent);
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

/** A terminal that records writes and runs write callbacks when flushed (xterm parses asynchronously). */
class FakeSink implements TerminalSink {
  written: (Uint8Array | string)[] = [];
  resets = 0;
  pending: (() => void)[] = [];
  write(data: Uint8Array | string, done?: () => void): void {
    if (data.length) this.written.push(data);
    if (done) this.pending.push(done);
  }
  reset(): void {
    this.resets++;
    this.written = [];
  }
  flush(): void {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }
  text(): string {
    return this.written.map((w) => (typeof w === 'string' ? w : new TextDecoder().decode(w))).join('');
  }
}

type TicketResult = SerialTicket | ApiError;

function rig(tickets: TicketResult[] = []) {
  let now = 1_000_000;
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let nextId = 1;
  const sockets: FakeSocket[] = [];
  const requests: boolean[] = [];
  const queue = [...tickets];
  const deps: SerialDeps = {
    requestTicket(force) {
      requests.push(force);
      const t = queue.shift() ?? { ticket: 't', url: `/ws?ticket=${requests.length}`, expiresInSeconds: 30 };
      return t instanceof ApiError ? Promise.reject(t) : Promise.resolve(t);
    },
    openSocket(url) {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    now: () => now,
    setTimer(fn, ms) {
      const id = nextId++;
      timers.push({ fn, at: now + ms, id });
      return id;
    },
    clearTimer(h) {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    random: () => 0.5,
  };
  const sink = new FakeSink();
  const conn = new SerialConnection(sink, deps);
  return {
    conn,
    sink,
    sockets,
    requests,
    timers,
    last: () => sockets[sockets.length - 1] as FakeSocket,
    now: () => now,
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Starts, opens the socket and replays a scrollback of text. */
async function attached(r: ReturnType<typeof rig>, scrollback = '') {
  r.conn.start(true);
  await tick();
  const s = r.last();
  s.open();
  s.text({ type: 'scrollback-start', bytes: scrollback.length, truncated: false });
  if (scrollback) s.bytes(new TextEncoder().encode(scrollback));
  s.text({ type: 'scrollback-end' });
  s.text({ type: 'status', state: 'connected' });
  r.sink.flush();
  return s;
}

const apiErr = (status: number, code: string, hint?: string) => new ApiError(status, { code, message: `msg ${code}`, hint });

describe('SerialConnection', () => {
  it('asks for a ticket, opens its socket and replays the scrollback into a reset terminal', async () => {
    const r = rig();
    r.sink.write('old output');
    r.conn.start(true);
    expect(r.conn.view.phase).toBe('connecting');
    await tick();
    expect(r.requests).toEqual([false]);
    const s = r.last();
    expect(s.url).toBe('/ws?ticket=1');
    expect(s.binaryType).toBe('arraybuffer');
    s.open();
    expect(r.conn.view.live).toBe(true);
    s.text({ type: 'scrollback-start', bytes: 5, truncated: true });
    expect(r.sink.resets).toBe(1);
    s.bytes([0x68, 0x69, 0xff, 0x00, 0x1b]); // not UTF-8: passed on untouched
    s.text({ type: 'scrollback-end' });
    s.text({ type: 'status', state: 'connected' });
    expect(r.conn.view).toMatchObject({ phase: 'connected', reopened: false, truncated: true, live: true });
    expect([...(r.sink.written[0] as Uint8Array)]).toEqual([0x68, 0x69, 0xff, 0x00, 0x1b]);
  });

  it('keeps what the window shows when the server comes back with an empty scrollback', async () => {
    const r = rig();
    const s = await attached(r, 'kvmtest# ');
    expect(r.sink.resets).toBe(1);
    s.drop(1001); // the server restarts: its scrollback is gone
    r.advance(1000);
    await tick();
    const s2 = r.last();
    s2.open();
    s2.text({ type: 'scrollback-start', bytes: 0, truncated: false });
    s2.text({ type: 'scrollback-end' });
    expect(r.sink.resets).toBe(1);
    expect(r.sink.text()).toBe('kvmtest# ');
    // A scrollback with something in it replaces the screen.
    s2.drop(4000);
    r.advance(2000); // not at once: the reconnect before did not last
    await tick();
    const s3 = r.last();
    s3.open();
    s3.text({ type: 'scrollback-start', bytes: 3, truncated: false });
    s3.bytes([0x61, 0x62, 0x63]);
    expect(r.sink.resets).toBe(2);
    expect(r.sink.text()).toBe('abc');
  });

  it('drops what the terminal answers to replayed queries, and passes input once the replay is parsed', async () => {
    const r = rig();
    r.conn.start(true);
    await tick();
    const s = r.last();
    s.open();
    s.text({ type: 'scrollback-start', bytes: 20, truncated: false });
    s.bytes(new TextEncoder().encode('kvmtest# \x1b[6nkvmtest# \x1b[6n'));
    // xterm answers each replayed query while it parses them:
    expect(r.conn.send('\x1b[24;10R')).toBe('dropped');
    s.text({ type: 'scrollback-end' });
    // The end marker came, but the terminal has not parsed everything yet.
    expect(r.conn.send('\x1b[24;10R')).toBe('dropped');
    r.sink.flush();
    expect(s.sent).toEqual([]);
    // A live query's answer, and typing, go through, each a frame of its own.
    expect(r.conn.send('\x1b[5;10R')).toBe('sent');
    expect(r.conn.send('ls\r')).toBe('sent');
    expect(s.sent.map((f) => new TextDecoder().decode(f as Uint8Array))).toEqual(['\x1b[5;10R', 'ls\r']);
  });

  it('cuts big input into frames of at most 4096 bytes and refuses pastes over 64 KiB', async () => {
    const r = rig();
    const s = await attached(r);
    expect(r.conn.send('é'.repeat(5000))).toBe('sent'); // 10000 bytes
    expect(s.sent.map((f) => (f as Uint8Array).length)).toEqual([4096, 4096, 1808]);
    s.sent = [];
    expect(r.conn.send('x'.repeat(64 * 1024 + 1))).toBe('too-large');
    expect(s.sent).toEqual([]);
    expect(r.conn.sendBinary('\x1b[M !!')).toBe('sent');
    expect([...(s.sent[0] as Uint8Array)]).toEqual([0x1b, 0x5b, 0x4d, 0x20, 0x21, 0x21]);
  });

  it('says when nothing has come from the guest yet', async () => {
    const r = rig();
    const s = await attached(r);
    expect(r.conn.view).toMatchObject({ phase: 'connected', quiet: true });
    s.bytes([0x6b]);
    expect(r.conn.view.quiet).toBe(false);
    const r2 = rig();
    await attached(r2, 'kvmtest# ');
    expect(r2.conn.view.quiet).toBe(false);
  });

  it('drops input while no socket is open', () => {
    const r = rig([apiErr(409, 'vm_not_running')]);
    expect(r.conn.send('x')).toBe('dropped');
  });

  it.each([
    ['connecting', 'connecting'],
    ['connected', 'connected'],
    ['reopened', 'connected'],
    ['vm-stopped', 'vm-stopped'],
    ['held-by-other', 'held'],
    ['no-serial-console', 'no-console'],
    ['unavailable', 'unavailable'],
  ])('maps the server state %s to the phase %s', async (state, phase) => {
    const r = rig();
    const s = await attached(r);
    s.text({ type: 'status', state, message: 'm', hint: 'h' });
    expect(r.conn.view).toMatchObject({ phase, message: 'm', hint: 'h', live: true });
    expect(r.conn.view.reopened ?? false).toBe(state === 'reopened');
  });

  it('tells a reopen seen live from the state at joining', async () => {
    const r = rig();
    r.conn.start(true);
    await tick();
    const s = r.last();
    s.open();
    s.text({ type: 'scrollback-start', bytes: 0, truncated: false });
    s.text({ type: 'scrollback-end' });
    s.text({ type: 'status', state: 'reopened' });
    expect(r.conn.view).toMatchObject({ phase: 'connected', reopened: false });
    s.text({ type: 'status', state: 'vm-stopped' });
    s.text({ type: 'status', state: 'reopened' });
    expect(r.conn.view).toMatchObject({ phase: 'connected', reopened: true });
  });

  it('ignores messages it does not know, and binary garbage only reaches the terminal', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const r = rig();
    const s = await attached(r, 'kvmtest# ');
    const before = r.conn.view;
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256);
    s.bytes(garbage);
    expect(r.sink.written.at(-1)).toEqual(garbage);
    s.text('not json');
    s.text({ type: 'status', state: 'exploded' });
    s.text({ type: 'something-new' });
    s.text({ type: 'error', code: 'unknown_message', message: 'x' });
    expect(r.conn.view).toBe(before);
    expect(warn).toHaveBeenCalledWith('serial console:', 'unknown_message', 'x');
  });

  it('waits for a stopped VM without asking for tickets, and connects when it starts', async () => {
    const r = rig([apiErr(409, 'vm_not_running', 'start the VM')]);
    r.conn.start(true);
    await tick();
    expect(r.conn.view).toMatchObject({ phase: 'vm-stopped', live: false, hint: 'start the VM' });
    expect(r.sockets).toHaveLength(0);
    expect(r.timers).toHaveLength(0); // no polling
    r.conn.setVMRunning(false);
    expect(r.requests).toHaveLength(1);
    r.conn.setVMRunning(true);
    await tick();
    expect(r.requests).toHaveLength(2);
    expect(r.sockets).toHaveLength(1);
  });

  it('does not ask for a ticket for a VM that is not running', async () => {
    const r = rig();
    r.conn.start(false);
    await tick();
    expect(r.requests).toHaveLength(0);
    expect(r.conn.view.phase).toBe('vm-stopped');
  });

  it('leaves an open console alone when the VM stops: the server follows the VM', async () => {
    const r = rig();
    const s = await attached(r);
    r.conn.setVMRunning(false);
    expect(r.conn.view.phase).toBe('connected');
    expect(s.closedWith).toBeUndefined();
    s.text({ type: 'status', state: 'vm-stopped' });
    r.conn.setVMRunning(true);
    expect(r.requests).toHaveLength(1);
    s.text({ type: 'status', state: 'reopened' });
    expect(r.conn.view).toMatchObject({ phase: 'connected', reopened: true });
    expect(r.conn.view.tookOver).toBeUndefined();
  });

  it('says when the VM has no serial console, and tries again when the VM (re)starts', async () => {
    const r = rig([apiErr(422, 'no_serial_console', 'a serial console was added')]);
    r.conn.start(true);
    await tick();
    expect(r.conn.view).toMatchObject({ phase: 'no-console', message: 'msg no_serial_console', hint: 'a serial console was added' });
    r.conn.setVMRunning(false);
    r.conn.setVMRunning(true);
    await tick();
    expect(r.requests).toHaveLength(2);
    expect(r.sockets).toHaveLength(1);
  });

  it('reconnects with a fresh ticket after 1, 2, 4 … 30 s, and starts over after a healthy connection', async () => {
    const r = rig();
    let s = await attached(r);
    const delays: number[] = [];
    const dropAndRetry = async () => {
      s.drop(1006);
      expect(r.conn.view).toMatchObject({ phase: 'reconnecting', live: false, message: 'the connection to KVM Manager was lost' });
      const retryAt = r.conn.view.retryAt ?? 0;
      expect(r.timers.map((t) => t.at)).toEqual([retryAt]);
      delays.push(retryAt - r.now());
      const n = r.requests.length;
      r.advance(retryAt - r.now());
      await tick();
      expect(r.requests).toHaveLength(n + 1);
      s = r.last();
      s.open(); // opens, but does not attach: the backoff keeps growing
    };
    // random() is 0.5: no jitter.
    for (let i = 0; i < 7; i++) await dropAndRetry();
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    // A connection that lasted 10 s was healthy: the next drop retries after 1 s again.
    s.text({ type: 'scrollback-start', bytes: 0, truncated: false });
    s.text({ type: 'scrollback-end' });
    r.advance(10_000);
    delays.length = 0;
    await dropAndRetry();
    expect(delays).toEqual([1000]);
  });

  it('reconnects at once when the socket is replaced, cancelling the pending retry', async () => {
    const r = rig();
    const s = await attached(r);
    s.drop(1006);
    expect(r.timers).toHaveLength(1);
    r.conn.connect();
    expect(r.timers).toHaveLength(0);
    await tick();
    expect(r.requests).toHaveLength(2);
  });

  it('reconnects at once when the server dropped a viewer that fell behind (4000), once', async () => {
    const r = rig();
    const s = await attached(r);
    s.drop(4000);
    expect(r.conn.view.message).toMatch(/fell behind/);
    expect((r.conn.view.retryAt ?? 0) - r.now()).toBe(0);
    r.advance(0);
    await tick();
    const s2 = r.last();
    s2.open();
    s2.drop(4000);
    expect((r.conn.view.retryAt ?? 0) - r.now()).toBe(2000);
  });

  it('stops for good when the VM was deleted (4004)', async () => {
    const r = rig();
    const s = await attached(r);
    s.drop(4004);
    expect(r.conn.view).toMatchObject({ phase: 'ended', live: false });
    expect(r.conn.view.message).toMatch(/deleted/);
    expect(r.timers).toHaveLength(0);
  });

  it('retries when the server cannot be reached for a ticket', async () => {
    const r = rig([apiErr(0, 'unreachable')]);
    r.conn.start(true);
    await tick();
    expect(r.conn.view.phase).toBe('reconnecting');
    r.advance(1000);
    await tick();
    expect(r.requests).toHaveLength(2);
    expect(r.sockets).toHaveLength(1);
  });

  it('takes the console over on the open socket, or with a forced ticket', async () => {
    const r = rig();
    const s = await attached(r);
    s.text({ type: 'status', state: 'held-by-other', message: 'another client' });
    r.conn.takeOver();
    expect(s.sent).toEqual([JSON.stringify({ type: 'take-over' })]);
    expect(r.conn.view).toMatchObject({ phase: 'held', takingOver: true });
    s.text({ type: 'status', state: 'reopened' });
    expect(r.conn.view).toMatchObject({ phase: 'connected', tookOver: true });
    expect(r.conn.view.takingOver).toBeUndefined();

    s.drop(1006);
    r.conn.takeOver(); // no socket: a ticket with force
    await tick();
    expect(r.requests).toEqual([false, true]);
  });

  it('ignores the events of a replaced socket and of a disposed connection', async () => {
    const r = rig();
    const s1 = await attached(r);
    r.conn.connect(); // "Reconnect"
    expect(s1.closedWith).toBe(1000);
    await tick();
    const s2 = r.last();
    s1.text({ type: 'status', state: 'held-by-other' });
    s1.bytes([0x41]);
    s1.drop(4004);
    expect(r.conn.view.phase).toBe('connecting');
    expect(r.sink.text()).toBe('');
    s2.open();
    r.conn.dispose();
    expect(s2.closedWith).toBe(1000);
    s2.drop(1006);
    expect(r.timers).toHaveLength(0);
  });

  it('does not open a socket for a ticket that arrives after dispose', async () => {
    const r = rig();
    r.conn.start(true);
    r.conn.dispose();
    await tick();
    expect(r.sockets).toHaveLength(0);
  });
});

