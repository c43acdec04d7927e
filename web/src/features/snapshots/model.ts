// The snapshot tab's pure logic: the name rule (as the server checks it),
// the visible rows of the tree with their guides, keyboard moves, and the
// wording of what an action will do.

import type { RevertAfter, RevertImpact, Snapshot, SnapshotDeleteScope } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';

// ---- names ------------------------------------------------------------------

/** The longest snapshot name the server creates. */
export const NAME_MAX = 64;

/** The longest description, in UTF-8 bytes. */
export const DESCRIPTION_MAX = 4096;

/** The rule for new names, in words (the server's hint says the same). */
export const NAME_RULE =
  "1 to 64 characters: letters a–z and A–Z, digits, '.', '_' and '-'; starting with a letter or digit; no '..'; not digits only.";

function describeChar(c: string): string {
  if (c === ' ') return 'a space';
  if (c === '\t') return 'a tab';
  if (/\s/.test(c)) return 'a blank character';
  if ((c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f') return 'a control character';
  return `“${c}”`;
}

/**
 * Why a name cannot be given to a new snapshot, or null when it can. The
 * checks and their order are the server's (internal/snapshot/names.go),
 * so that what is said live is what the server would answer.
 */
export function nameProblem(name: string, existing?: ReadonlySet<string>): string | null {
  if (name === '') return 'Enter a name.';
  if (new TextEncoder().encode(name).length > NAME_MAX) return `The name is longer than ${NAME_MAX} characters.`;
  let digits = true;
  let i = 0;
  for (const c of name) {
    if (c >= '0' && c <= '9') {
      // digits keep `digits` as it is
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      digits = false;
    } else if (c === '.' || c === '_' || c === '-') {
      digits = false;
      if (i === 0) return `The name starts with “${c}”: start with a letter or digit.`;
    } else {
      return `The name contains ${describeChar(c)}.`;
    }
    i++;
  }
  if (name.includes('..')) return 'The name contains “..”.';
  if (digits) return 'The name is made of digits only, which QEMU would confuse with a snapshot id.';
  if (existing?.has(name)) return `This VM already has a snapshot named “${name}”.`;
  return null;
}

/** A free default name such as "snapshot-2026-11-26-1301" (with -2, -3… when taken). */
export function suggestName(existing: ReadonlySet<string>, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `snapshot-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
  if (!existing.has(base)) return base;
  for (let n = 2; ; n++) {
    const name = `${base}-${n}`;
    if (!existing.has(name)) return name;
  }
}

/** UTF-8 length of a description after the server's line-end normalisation. */
export function descriptionBytes(d: string): number {
  return new TextEncoder().encode(d.replace(/\r\n?/g, '\n')).length;
}

// ---- the tree ---------------------------------------------------------------

/** The id of the "You are here" row: no snapshot can be named so (the server refuses NUL). */
export const LIVE_ID = '\u0000live';

/**
 * A guide column left of a row: a line passing by (pipe), nothing (blank),
 * or this row's own connector (tee: more siblings follow; elbow: the last).
 */
export type Guide = 'pipe' | 'blank' | 'tee' | 'elbow';

/** One visible row of the tree. */
export interface Row {
  /** The snapshot's name, or LIVE_ID. */
  id: string;
  snapshot: Snapshot | undefined;
  /** 1-based depth (aria-level). */
  level: number;
  /** Position among its siblings (aria-posinset / aria-setsize). */
  posinset: number;
  setsize: number;
  /** The parent row's id; null for roots. */
  parent: string | null;
  /**
   * The guides drawn left of the row. A node with one child draws it right
   * below itself at the same indentation (a chain reads as a timeline, even
   * 200 long); the children of a node with several are indented, each with
   * a connector.
   */
  guides: Guide[];
  /** The row continues the row above it (its only child): a line joins their dots. */
  chained: boolean;
  /** Its only child follows, chained, when expanded. */
  chainsDown: boolean;
  hasChildren: boolean;
  expanded: boolean;
  /** How many rows its collapse hides (descendants, and the live state). */
  hiddenCount: number;
  isCurrent: boolean;
}

/** The snapshots by name, with the children of each (the live state included). */
export interface Forest {
  byName: Map<string, Snapshot>;
  /** Children per node id ('' for the roots), oldest first; the live state last. */
  children: Map<string, string[]>;
  /** The live state's parent: the current snapshot, or '' when there is none. */
  liveParent: string;
}

export function buildForest(snapshots: readonly Snapshot[], current: string | undefined): Forest {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const children = new Map<string, string[]>();
  const add = (parent: string, child: string) => {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  };
  // The flat list has parents before children and siblings oldest first.
  for (const s of snapshots) add(s.parent !== undefined && byName.has(s.parent) ? s.parent : '', s.name);
  const liveParent = current !== undefined && byName.has(current) ? current : '';
  add(liveParent, LIVE_ID);
  return { byName, children, liveParent };
}

/** Every descendant of a node, parents before children. */
export function descendantsOf(f: Forest, id: string, withLive = false): string[] {
  const out: string[] = [];
  const stack = [...(f.children.get(id) ?? [])].reverse();
  while (stack.length) {
    const n = stack.pop() as string;
    if (n === LIVE_ID && !withLive) continue;
    out.push(n);
    stack.push(...[...(f.children.get(n) ?? [])].reverse());
  }
  return out;
}

/** The visible rows, in order. Iterative, so a chain of thousands does not overflow the stack. */
export function buildRows(f: Forest, collapsed: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  interface Item {
    id: string;
    parent: string | null;
    level: number;
    posinset: number;
    setsize: number;
    guides: Guide[];
    chained: boolean;
  }
  const place = (kids: readonly string[], parent: string | null, level: number, cont: Guide[]): Item[] =>
    kids.map((id, i) => ({
      id,
      parent,
      level,
      posinset: i + 1,
      setsize: kids.length,
      chained: kids.length === 1 && parent !== null,
      guides: kids.length === 1 ? cont : [...cont, i === kids.length - 1 ? 'elbow' : 'tee'],
    }));
  const stack = place(f.children.get('') ?? [], null, 1, []).reverse();
  while (stack.length) {
    const it = stack.pop() as Item;
    const kids = f.children.get(it.id) ?? [];
    const expanded = kids.length > 0 && !collapsed.has(it.id);
    rows.push({
      id: it.id,
      snapshot: f.byName.get(it.id),
      level: it.level,
      posinset: it.posinset,
      setsize: it.setsize,
      parent: it.parent,
      guides: it.guides,
      chained: it.chained,
      chainsDown: expanded && kids.length === 1,
      hasChildren: kids.length > 0,
      expanded,
      hiddenCount: expanded ? 0 : descendantsOf(f, it.id, true).length,
      isCurrent: it.id !== LIVE_ID && it.id === f.liveParent,
    });
    if (!expanded) continue;
    // What follows this row below it: its connector becomes a line (more
    // siblings follow) or a blank (it was the last).
    const cont = it.guides.map((g): Guide => (g === 'tee' ? 'pipe' : g === 'elbow' ? 'blank' : g));
    stack.push(...place(kids, it.id, it.level + 1, cont).reverse());
  }
  return rows;
}

/** Every node with children: what "Collapse all" collapses. */
export function branchIds(f: Forest): string[] {
  return [...f.children.keys()].filter((k) => k !== '');
}

/** A move in the tree, as the WAI-ARIA tree pattern defines the keys. */
export type TreeMove =
  | { kind: 'focus'; id: string }
  | { kind: 'expand'; id: string }
  | { kind: 'collapse'; id: string }
  | { kind: 'expandSiblings'; ids: string[] }
  | { kind: 'none' };

export function treeKey(rows: readonly Row[], focused: string, key: string): TreeMove {
  const i = rows.findIndex((r) => r.id === focused);
  const row = rows[i];
  if (!row) return rows[0] ? { kind: 'focus', id: rows[0].id } : { kind: 'none' };
  const at = (j: number): TreeMove => {
    const r = rows[j];
    return r ? { kind: 'focus', id: r.id } : { kind: 'none' };
  };
  switch (key) {
    case 'ArrowDown':
      return at(i + 1);
    case 'ArrowUp':
      return at(i - 1);
    case 'Home':
      return at(0);
    case 'End':
      return at(rows.length - 1);
    case 'ArrowRight':
      if (!row.hasChildren) return { kind: 'none' };
      return row.expanded ? at(i + 1) : { kind: 'expand', id: row.id };
    case 'ArrowLeft':
      if (row.hasChildren && row.expanded) return { kind: 'collapse', id: row.id };
      return row.parent !== null ? { kind: 'focus', id: row.parent } : { kind: 'none' };
    case '*':
      return {
        kind: 'expandSiblings',
        ids: rows.filter((r) => r.parent === row.parent && r.hasChildren && !r.expanded).map((r) => r.id),
      };
    default:
      return { kind: 'none' };
  }
}

/** The ancestors of a node, nearest first. */
export function ancestorsOf(f: Forest, id: string): string[] {
  const out: string[] = [];
  let p = id === LIVE_ID ? f.liveParent : f.byName.get(id)?.parent;
  while (p && f.byName.has(p) && !out.includes(p)) {
    out.push(p);
    p = f.byName.get(p)?.parent;
  }
  return out;
}

/** The collapsed set without the ancestors of a node, so that the node can be seen. */
export function revealIn(collapsed: ReadonlySet<string>, f: Forest, id: string): ReadonlySet<string> {
  const hiding = ancestorsOf(f, id).filter((a) => collapsed.has(a));
  if (hiding.length === 0) return collapsed;
  const next = new Set(collapsed);
  for (const a of hiding) next.delete(a);
  return next;
}

// ---- wording ----------------------------------------------------------------

/** The VM state a snapshot recorded, in words. */
export function snapshotStateLabel(state: string): string {
  return state === 'disk-snapshot' ? 'Running (disks only)' : stateLabel(state);
}

/** What a snapshot holds: "Memory and disks" or "Disks only". */
export function kindLabel(s: Pick<Snapshot, 'memory'>): string {
  return s.memory ? 'Memory and disks' : 'Disks only';
}

/** The state a VM has after a revert with the given choice. */
export function stateAfterRevert(s: Pick<Snapshot, 'state' | 'memory'>, after: RevertAfter): string {
  switch (after) {
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    case 'snapshot':
      if (s.state === 'disk-snapshot') return 'running';
      return s.state;
  }
}

/**
 * The first sentence of a revert confirmation: what happens to the VM and
 * which moment it returns to ("This will stop web and restore its disks as
 * they were on …").
 */
export function revertLead(vmName: string, vmActive: boolean, s: Snapshot, after: RevertAfter): string {
  const when = formatDateTime(s.creationTime);
  const end = stateAfterRevert(s, after);
  const then = end === 'running' ? 'then runs' : end === 'paused' ? 'is then paused' : 'stays shut off';
  if (s.memory) {
    const how = vmActive ? `This will replace the running state of ${vmName} with` : `This will restore ${vmName} to`;
    return `${how} the state saved on ${when}, memory included: the VM ${then}${end === 'running' && s.state === 'running' ? ' from that moment' : ''}.`;
  }
  const stop = vmActive ? `This will stop ${vmName} and restore its disks` : `This will restore the disks of ${vmName}`;
  const boot = end === 'running' ? 'the VM then starts from them, as after a power cut' : end === 'paused' ? 'the VM is then started paused' : 'the VM stays shut off';
  return `${stop} as they were on ${when}; ${boot}.`;
}

/** What deleting a snapshot with a scope removes, and what becomes of the rest. */
export interface DeletePlan {
  deleted: string[];
  /** Children that move up to the snapshot's parent (scope one). */
  moved: string[];
  /** The current snapshot afterwards, when it changes: a name, or '' for none. */
  newCurrent: string | undefined;
}

export function deletePlan(f: Forest, name: string, scope: SnapshotDeleteScope): DeletePlan {
  const s = f.byName.get(name);
  const desc = descendantsOf(f, name);
  const parent = s?.parent !== undefined && f.byName.has(s.parent) ? s.parent : '';
  let deleted: string[];
  let moved: string[] = [];
  switch (scope) {
    case 'one':
      deleted = [name];
      moved = (f.children.get(name) ?? []).filter((c) => c !== LIVE_ID);
      break;
    case 'subtree':
      deleted = [name, ...desc];
      break;
    case 'children':
      deleted = desc;
      break;
  }
  let newCurrent: string | undefined;
  if (f.liveParent !== '' && deleted.includes(f.liveParent)) newCurrent = scope === 'children' ? name : parent;
  return { deleted, moved, newCurrent };
}

/** Lists names for a sentence: “a”, “b” and 3 more. */
export function nameList(names: readonly string[], max = 6): string {
  const q = names.map((n) => `“${n}”`);
  if (q.length <= 1) return q.join('');
  if (q.length <= max) return `${q.slice(0, -1).join(', ')} and ${q[q.length - 1] ?? ''}`;
  return `${q.slice(0, max).join(', ')} and ${q.length - max} more`;
}

/** One line of a unified diff, classified for colouring. */
export interface DiffLine {
  kind: 'add' | 'del' | 'hunk' | 'head' | 'ctx';
  text: string;
}

export function diffLines(unified: string): DiffLine[] {
  if (!unified) return [];
  const lines = unified.replace(/\n$/, '').split('\n');
  return lines.map((text, i): DiffLine => {
    if (i < 2 && (text.startsWith('+++ ') || text.startsWith('--- '))) return { kind: 'head', text };
    if (text.startsWith('@@')) return { kind: 'hunk', text };
    if (text.startsWith('+')) return { kind: 'add', text };
    if (text.startsWith('-')) return { kind: 'del', text };
    return { kind: 'ctx', text };
  });
}

/**
 * The server's account of what a revert loses, with its time written as
 * the rest of the app writes times (the server writes "2026-12-07 13:02:11
 * UTC"; the dialog's first sentence uses the browser's locale and zone).
 */
export function impactText(impact: RevertImpact): string {
  if (!impact.since) return impact.message;
  const local = formatDateTime(impact.since);
  return impact.message.replace(/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\b/, local);
}
