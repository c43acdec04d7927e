import { describe, expect, it } from 'vitest';
import { planTyping } from './keys';
import { sendPaced } from './typing';

describe('sendPaced', () => {
  it('sends every event in order, in batches with pauses', async () => {
    const sent: string[] = [];
    const sleeps: number[] = [];
    const plan = planTyping('Hi $');
    const progress: number[] = [];
    const ok = await sendPaced(
      { sendKey: (k, c, d) => sent.push(`${c}:${k}:${d ? 'd' : 'u'}`) },
      plan.events,
      (done) => progress.push(done),
      undefined,
      (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    );
    expect(ok).toBe(true);
    expect(sent).toHaveLength(plan.events.length);
    expect(sent[0]).toBe('ShiftLeft:65505:d');
    expect(progress[progress.length - 1]).toBe(plan.events.length);
    expect(sleeps.length).toBe(Math.ceil(plan.events.length / 8) - 1);
  });

  it('slows down after the first 120 events, to the pace QEMU passes keys on', async () => {
    const sleeps: number[] = [];
    const events = Array.from({ length: 400 }, (_, i) => ({ keysym: 0x61, code: 'KeyA', down: i % 2 === 0 }));
    const ok = await sendPaced({ sendKey: () => undefined }, events, () => undefined, undefined, (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    });
    expect(ok).toBe(true);
    expect(sleeps).toHaveLength(400 / 8 - 1);
    expect(sleeps.slice(0, 14).every((ms) => ms === 12)).toBe(true);
    // After the burst, 8 events per 88 ms: under QEMU's 100 key events a second.
    expect(sleeps.slice(15).every((ms) => ms === 88)).toBe(true);
  });

  it('releases what it holds when aborted', async () => {
    const sent: string[] = [];
    const ac = new AbortController();
    const events = [
      { keysym: 1, code: 'ShiftLeft', down: true },
      { keysym: 2, code: 'KeyA', down: true },
      ...Array.from({ length: 6 }, (_, i) => ({ keysym: 3 + i, code: 'KeyB', down: i % 2 === 0 })),
      { keysym: 2, code: 'KeyA', down: false },
      { keysym: 1, code: 'ShiftLeft', down: false },
    ];
    const ok = await sendPaced(
      { sendKey: (k, c, d) => sent.push(`${c}:${k}:${d ? 'd' : 'u'}`) },
      events,
      () => ac.abort(),
      ac.signal,
      () => Promise.resolve(),
    );
    expect(ok).toBe(false);
    expect(sent.slice(8)).toEqual(['ShiftLeft:1:u', 'KeyA:2:u']);
  });
});
