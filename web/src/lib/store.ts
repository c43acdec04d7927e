// A tiny observable store for UI state that lives outside React (settings,
// the dashboard's filters, the event stream's connection state), read in
// components with useStore and a selector.

import { useCallback, useSyncExternalStore } from 'react';

export interface Store<T> {
  get: () => T;
  set: (next: T | ((prev: T) => T)) => void;
  subscribe: (listener: () => void) => () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(next) {
      const value = typeof next === 'function' ? (next as (prev: T) => T)(state) : next;
      if (Object.is(value, state)) return;
      state = value;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Reads a store in a component; re-renders only when the selected value changes. */
export function useStore<T, S = T>(store: Store<T>, selector?: (s: T) => S): S {
  const select = useCallback((): S => (selector ? selector(store.get()) : (store.get() as unknown as S)), [store, selector]);
  return useSyncExternalStore(store.subscribe, select, select);
}
