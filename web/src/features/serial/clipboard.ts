// Clipboard access with fallbacks. The async Clipboard API needs a secure
// context (https, or localhost/127.0.0.1): over plain http from another
// machine it is missing, so copying falls back to execCommand and pasting
// to a box the user pastes into with the keyboard.

/** Copies text; false when the browser refused. */
/** The Clipboard API, which insecure contexts lack (the DOM types say it is always there). */
function clipboard(): Clipboard | undefined {
  return (navigator as { clipboard?: Clipboard }).clipboard;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    const cb = clipboard();
    if (cb) {
      await cb.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission, no focus): try the old way
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  document.body.appendChild(ta);
  ta.select();
  let ok: boolean;
  try {
    // Deprecated, but the only way to copy without the Clipboard API.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  focused?.focus();
  return ok;
}

/** Reads the clipboard's text; null when the browser does not allow it (offer a paste box). */
export async function readText(): Promise<string | null> {
  try {
    const cb = clipboard();
    if (cb) return await cb.readText();
  } catch {
    // permission denied or unavailable
  }
  return null;
}
