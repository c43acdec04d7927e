// noVNC reads its canvas back (getImageData when the guest's screen size
// changes, toDataURL for the last frame and screenshots) on 2d contexts it
// creates without `willReadFrequently`, and Chromium warns about it in the
// console. The contexts are created in RFB's constructor: this asks for
// the flag there, and only there.

/** Calls make with every 2d canvas context created meanwhile asking for willReadFrequently. */
export function withReadbackCanvases<T>(make: () => T): T {
  const proto = HTMLCanvasElement.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'getContext');
  if (!original) return make();
  const getContext = original.value as (this: HTMLCanvasElement, type: string, options?: unknown) => RenderingContext | null;
  Object.defineProperty(proto, 'getContext', {
    ...original,
    value(this: HTMLCanvasElement, type: string, options?: unknown) {
      const opts = type === '2d' ? { willReadFrequently: true, ...(options as object | undefined) } : options;
      return getContext.call(this, type, opts);
    },
  });
  try {
    return make();
  } finally {
    Object.defineProperty(proto, 'getContext', original);
  }
}
