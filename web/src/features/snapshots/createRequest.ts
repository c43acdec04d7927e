// "Take snapshot" from elsewhere (a dashboard card, the details toolbar, the
// `t` shortcut): a request that the Snapshots tab of that VM answers by
// opening its create dialog. Tiny on purpose: the dashboard imports it,
// while the tab itself loads lazily.

import { createStore } from '../../lib/store';
import { vmKey } from '../../lib/vm';

/** The VM (vmKey) whose Snapshots tab should open its create dialog, or null. */
export const createRequestStore = createStore<string | null>(null);

/** How long a request waits for the tab to open (it loads lazily). */
export const CREATE_REQUEST_TTL_MS = 30_000;

let expiry: ReturnType<typeof setTimeout> | undefined;

/** Asks the Snapshots tab of a VM to open its create dialog (call it, then navigate there). */
export function requestCreate(host: string, uuid: string): void {
  const key = vmKey(host, uuid);
  createRequestStore.set(key);
  // A request nobody answered (the user went elsewhere) must not open a
  // dialog much later.
  clearTimeout(expiry);
  expiry = setTimeout(() => createRequestStore.set((k) => (k === key ? null : k)), CREATE_REQUEST_TTL_MS);
}

/** Marks the request answered. */
export function clearCreateRequest(): void {
  clearTimeout(expiry);
  createRequestStore.set(null);
}
