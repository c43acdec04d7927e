// Keyboard shortcut matching: key names, sequences such as "g d", and the
// rule that shortcuts never fire while the user is typing.

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * Names a key press the way bindings are written: "g", "Shift+S", "?",
 * "Enter", "Escape". Presses with Ctrl, Meta or Alt return null: those
 * combinations belong to the browser and the system.
 */
export function keyName(e: KeyLike): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key;
  if (k === 'Shift' || k === 'Control' || k === 'Alt' || k === 'Meta' || k === 'Dead' || k === 'Unidentified') return null;
  if (k.length === 1) {
    if (/[a-z]/i.test(k)) return e.shiftKey ? `Shift+${k.toUpperCase()}` : k.toLowerCase();
    return k === ' ' ? 'Space' : k;
  }
  return e.shiftKey ? `Shift+${k}` : k;
}

/** Whether an element takes typed text, so single-key shortcuts must not fire in it. */
export function isTypingTarget(el: EventTarget | null): boolean {
  if (!el || typeof el !== 'object' || !('tagName' in el)) return false;
  const e = el as HTMLElement;
  const tag = e.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (e as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(type);
  }
  // jsdom leaves isContentEditable undefined, so compare with true.
  const editable: unknown = e.isContentEditable;
  return editable === true;
}

/**
 * Matches key presses against bindings, some of which are sequences ("g d").
 * feed() says which binding this press completed, or that a sequence has
 * begun, or that nothing matched.
 */
export type FeedResult = { status: 'match'; binding: string } | { status: 'pending' } | { status: 'none' };

export class SequenceMatcher {
  private buffer: string[] = [];
  private last = 0;

  constructor(
    private bindings: readonly string[],
    private timeoutMs = 1200,
  ) {}

  setBindings(bindings: readonly string[]): void {
    this.bindings = bindings;
    this.buffer = [];
  }

  /** Replaces the bindings but keeps a sequence in progress. */
  setBindingsKeepBuffer(bindings: readonly string[]): void {
    this.bindings = bindings;
  }

  reset(): void {
    this.buffer = [];
  }

  feed(key: string, now: number = Date.now()): FeedResult {
    if (now - this.last > this.timeoutMs) this.buffer = [];
    this.last = now;
    this.buffer.push(key);
    // Try the longest buffered suffix first, so "g d" wins over "d".
    for (let start = 0; start < this.buffer.length; start++) {
      const seq = this.buffer.slice(start).join(' ');
      if (this.bindings.includes(seq)) {
        this.buffer = [];
        return { status: 'match', binding: seq };
      }
      if (this.bindings.some((b) => b.startsWith(`${seq} `))) {
        this.buffer = this.buffer.slice(start);
        return { status: 'pending' };
      }
    }
    this.buffer = [];
    return { status: 'none' };
  }
}
