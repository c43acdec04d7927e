// Pointer-lock mode: while the browser's pointer is locked to the console's
// canvas (Pointer Lock API), mouse events carry only motion (movementX/Y)
// and a fixed position. noVNC sends positions; so the console keeps a
// virtual pointer of its own, moves it by the motion, and hands noVNC the
// same events at that position. QEMU turns successive positions into
// relative motion for a guest without an absolute pointer. Esc (the
// browser's own) unlocks.

import { useEffect, useState, type RefObject } from 'react';

/** Moves a virtual pointer by a motion, within a w×h box. */
export function movePointer(at: { x: number; y: number }, dx: number, dy: number, w: number, h: number): { x: number; y: number } {
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), Math.max(max - 1, 0));
  return { x: clamp(at.x + dx, w), y: clamp(at.y + dy, h) };
}

const RELAYED = ['mousemove', 'mousedown', 'mouseup'] as const;

/** Follows pointer lock on screen's canvas, relaying motion to noVNC while locked; returns whether it is locked. */
export function usePointerLock(screenRef: RefObject<HTMLElement | null>): boolean {
  const [locked, setLocked] = useState(false);
  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    let at = { x: 0, y: 0 };
    let canvas: HTMLCanvasElement | null = null;
    const onEvent = (e: Event) => {
      const m = e as MouseEvent;
      // Our own events (untrusted) go on to noVNC.
      if (!m.isTrusted || !canvas || document.pointerLockElement !== canvas) return;
      e.stopImmediatePropagation();
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      if (m.type === 'mousemove') at = movePointer(at, m.movementX, m.movementY, r.width, r.height);
      canvas.dispatchEvent(
        new MouseEvent(m.type, { bubbles: true, cancelable: true, clientX: r.left + at.x, clientY: r.top + at.y, button: m.button, buttons: m.buttons }),
      );
    };
    const onChange = () => {
      const now = document.pointerLockElement;
      const c = screen.querySelector('canvas');
      if (now && now === c) {
        if (canvas !== c) {
          for (const t of RELAYED) canvas?.removeEventListener(t, onEvent, true);
          canvas = c;
          for (const t of RELAYED) canvas.addEventListener(t, onEvent, true);
        }
        const r = c.getBoundingClientRect();
        at = { x: r.width / 2, y: r.height / 2 };
        setLocked(true);
      } else {
        setLocked(false);
      }
    };
    document.addEventListener('pointerlockchange', onChange);
    return () => {
      document.removeEventListener('pointerlockchange', onChange);
      for (const t of RELAYED) canvas?.removeEventListener(t, onEvent, true);
      if (canvas && document.pointerLockElement === canvas) document.exitPointerLock();
    };
  }, [screenRef]);
  return locked;
}
