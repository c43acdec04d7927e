// The shortcut overlay (?): every shortcut, by where it works.

import { Dialog, DialogDescription, DialogHead } from '../../ui';
import { useStore } from '../../lib/store';
import { RESERVED, SHORTCUT_GROUPS } from './shortcuts';
import { overlayStore, useShortcuts } from './ShortcutsProvider';

function Keys({ keys }: { keys: string }) {
  const parts = keys.split(' ');
  return (
    <span className="keys">
      {parts.map((p, i) =>
        p === '/' && parts.length > 1 ? (
          <span key={i} className="muted">
            {' '}
            or{' '}
          </span>
        ) : (
          <kbd key={i}>{p}</kbd>
        ),
      )}
    </span>
  );
}

export function ShortcutOverlay() {
  const open = useStore(overlayStore);
  useShortcuts({ '?': () => overlayStore.set((o) => !o) });
  return (
    <Dialog open={open} onOpenChange={(o) => overlayStore.set(o)} wide>
          <DialogHead>Keyboard shortcuts</DialogHead>
          <DialogDescription className="muted">
            Single keys, which never fire while you type in a field. Sequences such as <kbd>g</kbd> <kbd>d</kbd> are typed one key after the
            other.
          </DialogDescription>
          <div className="shortcut-groups">
            {SHORTCUT_GROUPS.map((g) => (
              <section key={g.title} className="shortcut-group">
                <h3>{g.title}</h3>
                <dl>
                  {g.items.map((it) => (
                    <div key={it.keys} className="shortcut-row">
                      <dt>
                        <Keys keys={it.keys} />
                      </dt>
                      <dd>{it.description}</dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
          </div>
          <p className="muted small">
            Left to the browser, since a page cannot take them over: {RESERVED.map((k, i) => (
              <span key={k}>
                {i > 0 && ', '}
                <kbd>{k}</kbd>
              </span>
            ))}
            .
          </p>
    </Dialog>
  );
}
