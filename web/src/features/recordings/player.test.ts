import { describe, expect, it } from 'vitest';
import { decodeInput, FakeChannel, fakeHandshake, keyframeFor, keyLabel, parseKeyframe, parseSegment, serverInit } from './player';

function segment(events: { type: number; at: number; data: number[] }[]): ArrayBuffer {
  const parts: number[] = [];
  for (const e of events) {
    parts.push(e.type, (e.at >>> 24) & 255, (e.at >>> 16) & 255, (e.at >>> 8) & 255, e.at & 255);
    const n = e.data.length;
    parts.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...e.data);
  }
  return new Uint8Array(parts).buffer;
}

describe('recording player', () => {
  it('parses a segment and drops a cut-off tail', () => {
    const buf = segment([
      { type: 3, at: 10000, data: [2, 128, 1, 144, ...new Array<number>(16).fill(7)] },
      { type: 1, at: 10001, data: [0, 0, 0, 1] },
      { type: 2, at: 70000, data: [5, 1, 0, 10, 0, 20] },
    ]);
    const evs = parseSegment(buf);
    expect(evs.map((e) => [e.type, e.at, e.data.length])).toEqual([
      [3, 10000, 20],
      [1, 10001, 4],
      [2, 70000, 6],
    ]);
    expect(parseSegment(buf.slice(0, buf.byteLength - 2))).toHaveLength(2);
    const first = evs[0];
    if (!first) throw new Error('no event');
    const kf = parseKeyframe(first.data);
    if (!kf) throw new Error('no keyframe');
    expect(kf).toMatchObject({ width: 640, height: 400 });
    const si = serverInit(kf, 'vm');
    expect(Array.from(si.subarray(0, 4))).toEqual([2, 128, 1, 144]);
    expect(si[23]).toBe(2);
    expect(new TextDecoder().decode(si.subarray(24))).toBe('vm');
  });

  it('decodes input for the overlay', () => {
    expect(decodeInput(new Uint8Array([4, 1, 0, 0, 0, 0, 0, 0x61]))).toEqual({ kind: 'key', down: true, keysym: 0x61, label: 'a' });
    expect(decodeInput(new Uint8Array([5, 1, 0, 10, 0, 20]))).toEqual({ kind: 'pointer', buttons: 1, x: 10, y: 20 });
    expect(decodeInput(new Uint8Array([255, 0, 0, 1, 0, 0, 0xff, 0x0d, 0, 0, 0, 28]))).toMatchObject({ kind: 'key', down: true, label: 'Enter' });
    expect(decodeInput(new Uint8Array([3, 0]))).toBeNull();
    expect(keyLabel(0xffbe)).toBe('F1');
    expect(keyLabel(0x10000e4)).toBe('ä');
  });

  it('picks the keyframe before a time', () => {
    expect(keyframeFor([0, 10, 20], 0)).toBe(0);
    expect(keyframeFor([0, 10, 20], 15000)).toBe(1);
    expect(keyframeFor([0, 10, 20], 99000)).toBe(2);
  });

  it('drives the client handshake on the fake channel', async () => {
    const ch = new FakeChannel();
    const got: number[][] = [];
    ch.onmessage = (e) => {
      got.push(Array.from(new Uint8Array(e.data)));
      // noVNC answers each step with one send
      queueMicrotask(() => ch.send());
    };
    const init = new Uint8Array([0, 8, 0, 8]);
    await fakeHandshake(ch, init);
    expect(got[0]).toEqual(Array.from(new TextEncoder().encode('RFB 003.008\n')));
    expect(got[1]).toEqual([1, 1]);
    expect(got[2]).toEqual([0, 0, 0, 0]);
    expect(got[3]).toEqual([0, 8, 0, 8]);
  });
});
