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
