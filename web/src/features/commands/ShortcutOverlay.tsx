// The shortcut list (?): every command the user's role may use, by where it
// works, with the keys that focused controls handle themselves. Built from
// the command catalogue, so it lists exactly what is bound.

import { useStore } from '../../lib/store';
import { useAccess } from '../security/useAccess';
import { COMMANDS, GROUP_TITLES, KEY_NOTES, RESERVED } from './catalogue';
import { helpStore, useCommandScope } from './CommandsProvider';
import { GROUPS, permitted, type Command, type CommandGroup } from './registry';
import { Dialog, DialogDescription, DialogHead } from '../../ui';

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

interface Row {
  keys: string;
  text: string;
}

/** The rows of one group: commands (one row for the commands that share keys, such as Pause and Resume), then notes. */
export function helpRows(group: CommandGroup, can: (p: NonNullable<Command['permission']>) => boolean): Row[] {
  const rows: Row[] = [];
  for (const c of COMMANDS) {
    if (c.group !== group || !permitted(c, { can }) || !c.keys?.length) continue;
    const keys = c.keys.join(' / ');
    const text = c.detail ? `${c.title} (${c.detail})` : c.title;
    const same = rows.find((r) => r.keys === keys);
    if (same) same.text = `${same.text} or ${text}`;
    else rows.push({ keys, text });
  }
  for (const n of KEY_NOTES) if (n.group === group && (n.permission === undefined || can(n.permission))) rows.push({ keys: n.keys, text: n.text });
  return rows;
}

export function ShortcutOverlay() {
  const open = useStore(helpStore);
  const { can } = useAccess();
  useCommandScope('help', { toggle: () => helpStore.set((o) => !o) });
  const groups = GROUPS.map((g) => ({ group: g, rows: helpRows(g, can) })).filter((g) => g.rows.length > 0);
  return (
    <Dialog open={open} onOpenChange={(o) => helpStore.set(o)} wide>
      <DialogHead>Keyboard shortcuts</DialogHead>
      <DialogDescription className="muted">
        Single keys, which never fire while you type in a field. Sequences such as <kbd>g</kbd> <kbd>d</kbd> are typed one key after the
        other.
      </DialogDescription>
      <div className="shortcut-groups">
        {groups.map(({ group, rows }) => (
          <section key={group} className="shortcut-group">
            <h3>{GROUP_TITLES[group]}</h3>
            <dl>
              {rows.map((it) => (
                <div key={`${it.keys} ${it.text}`} className="shortcut-row">
                  <dt>
                    <Keys keys={it.keys} />
                  </dt>
                  <dd>{it.text}</dd>
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
