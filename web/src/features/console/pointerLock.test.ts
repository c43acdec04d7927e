import { describe, expect, it } from 'vitest';
import { movePointer } from './pointerLock';

describe('movePointer', () => {
  it('moves by the motion and stays on the screen', () => {
    expect(movePointer({ x: 10, y: 10 }, 5, -3, 100, 50)).toEqual({ x: 15, y: 7 });
    expect(movePointer({ x: 10, y: 10 }, -50, 100, 100, 50)).toEqual({ x: 0, y: 49 });
    expect(movePointer({ x: 99, y: 0 }, 10, -1, 100, 50)).toEqual({ x: 99, y: 0 });
  });
});
