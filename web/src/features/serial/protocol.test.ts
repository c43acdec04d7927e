import { describe, expect, it } from 'vitest';
import { binaryBytes, closeDisposition, cutFrames, inputFrames, MAX_INPUT_FRAME, parseServerMessage, retryDelay, sttyCommand } from './protocol';

describe('parseServerMessage', () => {
  it.each([
    ['{"type":"scrollback-start","bytes":12,"truncated":true}', { type: 'scrollback-start', bytes: 12, truncated: true }],
    ['{"type":"scrollback-start"}', { type: 'scrollback-start', bytes: 0, truncated: false }],
    ['{"type":"scrollback-end"}', { type: 'scrollback-end' }],
    ['{"type":"status","state":"held-by-other","message":"m","hint":"h"}', { type: 'status', state: 'held-by-other', message: 'm', hint: 'h' }],
    ['{"type":"status","state":"connected"}', { type: 'status', state: 'connected' }],
    ['{"type":"status","state":"connected","message":42}', { type: 'status', state: 'connected' }],
    ['{"type":"error","code":"bad_message","message":"x"}', { type: 'error', code: 'bad_message', message: 'x' }],
    ['{"type":"status","state":"on-fire"}', null],
    ['{"type":"future-thing"}', null],
    ['[1,2]', null],
    ['null', null],
    ['"status"', null],
    ['{not json', null],
    ['', null],
  ])('%s', (text, want) => {
    expect(parseServerMessage(text)).toEqual(want);
  });
});

describe('inputFrames', () => {
  const join = (fs: Uint8Array[]) => new TextDecoder().decode(Uint8Array.from(fs.flatMap((f) => [...f])));

  it('keeps a keystroke or a terminal report as one frame', () => {
    expect(inputFrames('a').map((f) => [...f])).toEqual([[0x61]]);
    expect(inputFrames('\x1b[24;80R')).toHaveLength(1);
    expect(inputFrames('')).toEqual([]);
  });

  it('encodes UTF-8', () => {
    expect([...(inputFrames('é€')[0] as Uint8Array)]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac]);
  });

  it.each([
    ['ascii', 'a'.repeat(10_000)],
    ['two-byte', 'é'.repeat(5000)],
    ['three-byte', '€'.repeat(3000)],
    ['four-byte', '😀'.repeat(2000)],
    ['mixed', 'aé€😀'.repeat(1500)],
  ])('cuts %s text into frames of at most 4096 bytes, never inside a character', (_, text) => {
    const frames = inputFrames(text);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(MAX_INPUT_FRAME);
      expect(f.length).toBeGreaterThan(0);
      // A frame decodes on its own: it starts and ends on character boundaries.
      expect(new TextDecoder('utf-8', { fatal: true }).decode(f)).toBeTruthy();
    }
    expect(join(frames)).toBe(text);
  });

  it('still cuts bytes that are all continuation bytes (not UTF-8)', () => {
    const frames = cutFrames(new Uint8Array(9000).fill(0x80));
    expect(frames.map((f) => f.length)).toEqual([4096, 4096, 808]);
  });
});

describe('binaryBytes', () => {
  it('takes one byte per character', () => {
    expect([...binaryBytes('\x1b[M\xff!')]).toEqual([0x1b, 0x5b, 0x4d, 0xff, 0x21]);
  });
});

describe('retryDelay', () => {
  it('doubles from 1 s up to 30 s, with ±20 % jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((a) => retryDelay(a, mid))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(retryDelay(0, () => 0)).toBe(800);
    expect(retryDelay(0, () => 1)).toBe(1200);
  });
});

describe('closeDisposition', () => {
  it.each([
    [4004, 'never', /deleted/],
    [4000, 'now', /fell behind/],
    [1001, 'backoff', /restarting/],
    [1009, 'backoff', /too large/],
    [1006, 'backoff', /lost/],
    [1000, 'backoff', /closed/],
  ])('%i → %s', (code, retry, reason) => {
    const d = closeDisposition(code);
    expect(d.retry).toBe(retry);
    expect(d.reason).toMatch(reason);
  });
});

describe('sttyCommand', () => {
  it('says rows and columns', () => {
    expect(sttyCommand(132, 43)).toBe('stty rows 43 cols 132');
  });
});
