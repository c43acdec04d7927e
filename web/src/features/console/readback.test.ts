import { afterEach, describe, expect, it, vi } from 'vitest';
import { withReadbackCanvases } from './readback';

describe('withReadbackCanvases', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks for willReadFrequently on 2d contexts made inside, and only there', () => {
    const seen: unknown[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement, _type: string, options?: unknown) {
      seen.push(options);
      return null;
    } as never);
    const made = withReadbackCanvases(() => {
      document.createElement('canvas').getContext('2d');
      document.createElement('canvas').getContext('2d', { alpha: false });
      document.createElement('canvas').getContext('webgl');
      return 7;
    });
    document.createElement('canvas').getContext('2d');
    expect(made).toBe(7);
    expect(seen).toEqual([{ willReadFrequently: true }, { willReadFrequently: true, alpha: false }, undefined, undefined]);
  });

  it('puts getContext back when make throws', () => {
    const before = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, 'getContext');
    expect(() =>
      withReadbackCanvases(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, 'getContext')).toEqual(before);
  });
});
