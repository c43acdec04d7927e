import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import {
  ancestorsOf,
  branchIds,
  buildForest,
  buildRows,
  deletePlan,
  descendantsOf,
  descriptionBytes,
  diffLines,
  impactText,
  LIVE_ID,
  nameList,
  nameProblem,
  revealIn,
  revertLead,
  stateAfterRevert,
  suggestName,
  treeKey,
  type Row,
} from './model';

function snap(name: string, parent?: string, over: Partial<Snapshot> = {}): Snapshot {
  return {
    name,
    description: '',
    creationTime: '2026-11-26T10:00:00Z',
    state: 'running',
    parent,
    children: [],
    descendants: 0,
    current: false,
    location: 'internal',
    memory: true,
    screenshot: false,
    ...over,
  };
}

/** A flat list as the server sends it (parents first), with children filled in. */
function list(...pairs: [string, string?][]): Snapshot[] {
  const out = pairs.map(([n, p]) => snap(n, p));
  for (const s of out) if (s.parent) out.find((x) => x.name === s.parent)?.children?.push(s.name);
  return out;
}

const ids = (rows: Row[]) => rows.map((r) => (r.id === LIVE_ID ? 'LIVE' : r.id));

describe('nameProblem', () => {
  it.each([
    ['before-upgrade', null],
    ['a', null],
    ['v1.2_rc-3', null],
    ['2026-11-26', null],
    ['x'.repeat(64), null],
    ['', 'Enter a name.'],
    ['x'.repeat(65), 'The name is longer than 64 characters.'],
    ['bad name!', 'The name contains a space.'],
    ['bad!', 'The name contains “!”.'],
    ['-x', 'The name starts with “-”: start with a letter or digit.'],
    ['.hidden', 'The name starts with “.”: start with a letter or digit.'],
    ['a..b', 'The name contains “..”.'],
    ['a/b', 'The name contains “/”.'],
    ['12345', 'The name is made of digits only, which QEMU would confuse with a snapshot id.'],
    ['snäp', 'The name contains “ä”.'],
    ['tab\there', 'The name contains a tab.'],
  ])('%j → %j', (name, want) => {
    expect(nameProblem(name)).toBe(want);
  });

  it('says when the name is taken', () => {
    expect(nameProblem('s1', new Set(['s1']))).toBe('This VM already has a snapshot named “s1”.');
    expect(nameProblem('s2', new Set(['s1']))).toBeNull();
  });

  it('counts bytes, as the server does', () => {
    // 32 two-byte characters are 64 bytes, but they are refused for the character anyway.
    expect(nameProblem('é'.repeat(33))).toBe('The name is longer than 64 characters.');
  });
});

describe('suggestName', () => {
  const now = new Date(2026, 10, 26, 9, 5);
  it('is a valid name with the date and time', () => {
    const n = suggestName(new Set(), now);
    expect(n).toBe('snapshot-2026-11-26-0905');
    expect(nameProblem(n)).toBeNull();
  });
  it('avoids names in use', () => {
    expect(suggestName(new Set(['snapshot-2026-11-26-0905', 'snapshot-2026-11-26-0905-2']), now)).toBe('snapshot-2026-11-26-0905-3');
  });
});

it('descriptionBytes counts UTF-8 after CRLF normalisation', () => {
  expect(descriptionBytes('a\r\nb')).toBe(3);
  expect(descriptionBytes('é')).toBe(2);
});

describe('buildRows', () => {
  it('puts the live state under the current snapshot, last', () => {
    const f = buildForest(list(['a'], ['b', 'a'], ['c', 'a']), 'a');
    const rows = buildRows(f, new Set());
    expect(ids(rows)).toEqual(['a', 'b', 'c', 'LIVE']);
    const live = rows[3] as Row;
    expect(live.parent).toBe('a');
    expect(live.level).toBe(2);
    expect([live.posinset, live.setsize]).toEqual([3, 3]);
    expect(rows[0]?.isCurrent).toBe(true);
    expect(rows.filter((r) => r.isCurrent)).toHaveLength(1);
  });

  it('makes the live state a root when there is no current snapshot', () => {
    const rows = buildRows(buildForest(list(['a']), undefined), new Set());
    expect(ids(rows)).toEqual(['a', 'LIVE']);
    expect(rows[1]?.level).toBe(1);
    // Two roots: each has a connector, so that neither reads as the other's child.
    expect(rows[0]?.guides).toEqual(['tee']);
    expect(rows[1]?.guides).toEqual(['elbow']);
  });

  it('shows only the live state for a VM without snapshots', () => {
    const rows = buildRows(buildForest([], undefined), new Set());
    expect(ids(rows)).toEqual(['LIVE']);
    expect(rows[0]?.guides).toEqual([]);
  });

  it('draws a chain at one indentation, joined dot to dot', () => {
    const f = buildForest(list(['a'], ['b', 'a'], ['c', 'b']), 'c');
    const rows = buildRows(f, new Set());
    expect(ids(rows)).toEqual(['a', 'b', 'c', 'LIVE']);
    expect(rows.map((r) => r.guides.length)).toEqual([0, 0, 0, 0]);
    expect(rows.map((r) => r.level)).toEqual([1, 2, 3, 4]);
    expect(rows.map((r) => r.chained)).toEqual([false, true, true, true]);
    expect(rows.map((r) => r.chainsDown)).toEqual([true, true, true, false]);
  });

  it('indents the children of a branch with connectors, and lines past later siblings', () => {
    // a ─┬ b ── d
    //    └ c        (current: c)
    const f = buildForest(list(['a'], ['b', 'a'], ['c', 'a'], ['d', 'b']), 'c');
    const rows = buildRows(f, new Set());
    expect(ids(rows)).toEqual(['a', 'b', 'd', 'c', 'LIVE']);
    const g = Object.fromEntries(rows.map((r) => [r.id === LIVE_ID ? 'LIVE' : r.id, r.guides.join(',')]));
    expect(g).toEqual({ a: '', b: 'tee', d: 'pipe', c: 'elbow', LIVE: 'blank' });
  });

  it('hides what a collapse hides and counts it', () => {
    const f = buildForest(list(['a'], ['b', 'a'], ['c', 'b']), 'c');
    const rows = buildRows(f, new Set(['b']));
    expect(ids(rows)).toEqual(['a', 'b']);
    expect(rows[1]?.expanded).toBe(false);
    expect(rows[1]?.hiddenCount).toBe(2); // c and the live state
    expect(rows[1]?.chainsDown).toBe(false);
  });

  it('copes with a chain of thousands (no recursion)', () => {
    const pairs: [string, string?][] = [['s0']];
    for (let i = 1; i < 5000; i++) pairs.push([`s${i}`, `s${i - 1}`]);
    const rows = buildRows(buildForest(list(...pairs), 's4999'), new Set());
    expect(rows).toHaveLength(5001);
    expect(rows[5000]?.level).toBe(5001);
  });

  it('takes a snapshot whose parent is missing as a root', () => {
    const rows = buildRows(buildForest([snap('orphan', 'gone')], undefined), new Set());
    expect(rows[0]?.parent).toBeNull();
    expect(rows[0]?.level).toBe(1);
  });
});

describe('treeKey', () => {
  const f = buildForest(list(['a'], ['b', 'a'], ['c', 'a']), 'b');
  const rows = buildRows(f, new Set());
  // a, b, LIVE (under b), c
  it.each([
    ['a', 'ArrowDown', { kind: 'focus', id: 'b' }],
    ['b', 'ArrowUp', { kind: 'focus', id: 'a' }],
    ['a', 'ArrowUp', { kind: 'none' }],
    ['b', 'End', { kind: 'focus', id: 'c' }],
    ['c', 'Home', { kind: 'focus', id: 'a' }],
    ['a', 'ArrowRight', { kind: 'focus', id: 'b' }],
    ['c', 'ArrowRight', { kind: 'none' }],
    ['a', 'ArrowLeft', { kind: 'collapse', id: 'a' }],
    ['c', 'ArrowLeft', { kind: 'focus', id: 'a' }],
    [LIVE_ID, 'ArrowLeft', { kind: 'focus', id: 'b' }],
    ['a', 'x', { kind: 'none' }],
  ])('%s + %s', (from, key, want) => {
    expect(treeKey(rows, from, key)).toEqual(want);
  });

  it('expands a collapsed node on ArrowRight and names collapsed siblings for *', () => {
    const collapsed = buildRows(f, new Set(['a']));
    expect(treeKey(collapsed, 'a', 'ArrowRight')).toEqual({ kind: 'expand', id: 'a' });
    const some = buildRows(f, new Set(['b']));
    expect(treeKey(some, 'c', '*')).toEqual({ kind: 'expandSiblings', ids: ['b'] });
  });
});

describe('forest helpers', () => {
  const f = buildForest(list(['a'], ['b', 'a'], ['c', 'b'], ['d', 'a']), 'c');
  it('lists descendants parents first, the live state only when asked', () => {
    expect(descendantsOf(f, 'a')).toEqual(['b', 'c', 'd']);
    expect(descendantsOf(f, 'b', true)).toEqual(['c', LIVE_ID]);
  });
  it('lists ancestors nearest first, also of the live state', () => {
    expect(ancestorsOf(f, 'c')).toEqual(['b', 'a']);
    expect(ancestorsOf(f, LIVE_ID)).toEqual(['c', 'b', 'a']);
  });
  it('reveals a node by opening its ancestors only', () => {
    const c = new Set(['a', 'b', 'd']);
    expect([...revealIn(c, f, 'c')]).toEqual(['d']);
    const none = new Set(['d']);
    expect(revealIn(none, f, 'c')).toBe(none);
  });
  it('names every node with children for "Collapse all"', () => {
    expect(branchIds(f).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('deletePlan', () => {
  // a ── b ─┬ c ── LIVE
  //         └ d
  const f = buildForest(list(['a'], ['b', 'a'], ['c', 'b'], ['d', 'b']), 'c');
  it('one: children move up; deleting the current one makes its parent current', () => {
    expect(deletePlan(f, 'b', 'one')).toEqual({ deleted: ['b'], moved: ['c', 'd'], newCurrent: undefined });
    expect(deletePlan(f, 'c', 'one')).toEqual({ deleted: ['c'], moved: [], newCurrent: 'b' });
  });
  it('subtree: the snapshot and every descendant', () => {
    expect(deletePlan(f, 'b', 'subtree')).toEqual({ deleted: ['b', 'c', 'd'], moved: [], newCurrent: 'a' });
    expect(deletePlan(f, 'a', 'subtree')).toEqual({ deleted: ['a', 'b', 'c', 'd'], moved: [], newCurrent: '' });
  });
  it('children: only the descendants; the snapshot becomes current if the current one goes', () => {
    expect(deletePlan(f, 'b', 'children')).toEqual({ deleted: ['c', 'd'], moved: [], newCurrent: 'b' });
    expect(deletePlan(f, 'c', 'children')).toEqual({ deleted: [], moved: [], newCurrent: undefined });
  });
});

describe('revert wording', () => {
  const running = snap('s', undefined, { state: 'running', memory: true, creationTime: '2026-11-26T10:00:00Z' });
  const off = snap('s', undefined, { state: 'shutoff', memory: false });
  it('knows the state after a revert', () => {
    expect(stateAfterRevert(running, 'snapshot')).toBe('running');
    expect(stateAfterRevert(off, 'snapshot')).toBe('shutoff');
    expect(stateAfterRevert(off, 'running')).toBe('running');
    expect(stateAfterRevert(snap('x', undefined, { state: 'disk-snapshot', memory: false }), 'snapshot')).toBe('running');
    expect(stateAfterRevert(running, 'paused')).toBe('paused');
  });
  it('says that a running VM is stopped for a disk snapshot, and when the state is from', () => {
    const lead = revertLead('web', true, off, 'snapshot');
    expect(lead).toMatch(/^This will stop web and restore its disks as they were on .*2026.*; the VM stays shut off\.$/);
    expect(revertLead('web', true, running, 'snapshot')).toMatch(/replace the running state of web with the state saved on .*memory included: the VM then runs from that moment/);
    expect(revertLead('web', false, running, 'paused')).toMatch(/^This will restore web to the state saved on .*, memory included: the VM is then paused\.$/);
  });
});

it('nameList shortens long lists', () => {
  expect(nameList(['a'])).toBe('“a”');
  expect(nameList(['a', 'b', 'c'])).toBe('“a”, “b” and “c”');
  expect(nameList(['a', 'b', 'c', 'd'], 2)).toBe('“a”, “b” and 2 more');
});

it('diffLines classifies a unified diff', () => {
  const d = '--- snapshot\n+++ today\n@@ -1,2 +1,2 @@\n <a>\n-  <m>1</m>\n+  <m>2</m>\n';
  expect(diffLines(d).map((l) => l.kind)).toEqual(['head', 'head', 'hunk', 'ctx', 'del', 'add']);
  expect(diffLines('')).toEqual([]);
});

describe('impactText', () => {
  it('writes the server\'s UTC time as the app writes times', () => {
    const since = '2026-12-07T13:02:11Z';
    const text = impactText({ since, message: 'the current state of VM "web" (its disks) since 2026-12-07 13:02:11 UTC will be lost: every change' });
    expect(text).toBe(`the current state of VM "web" (its disks) since ${formatDateTime(since)} will be lost: every change`);
    expect(text).not.toContain('UTC');
  });
  it('leaves a message without a time alone', () => {
    expect(impactText({ message: 'the current state will be lost' })).toBe('the current state will be lost');
  });
});
