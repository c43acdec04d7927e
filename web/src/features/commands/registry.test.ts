import { describe, expect, it, vi } from 'vitest';
import type { PowerAction, Role, VMState } from '../../api/types';
import { keyName } from '../../lib/keys';
import { allowedActions, STATE_LABELS } from '../../resources/vm/model';
import { ROLE_PERMISSIONS } from '../security/access';
import { COMMANDS, POWER_COMMANDS } from './catalogue';
import { applies, bindings, conflicts, prefixClashes, resolveKey, type CommandContext, type Scopes, type VMTarget } from './registry';

const noop = () => undefined;

function can(role: Role) {
  return (p: Parameters<CommandContext['can']>[0]) => ROLE_PERMISSIONS[role].includes(p);
}

function target(state: VMState, where: VMTarget['where'], over: Partial<VMTarget> = {}): VMTarget {
  return {
    vm: { host: 'local', uuid: 'u1', name: 'web', state, actions: allowedActions(state) },
    where,
    busy: () => false,
    power: vi.fn(),
    openConsole: vi.fn(),
    takeSnapshot: vi.fn(),
    remove: where === 'details' ? vi.fn() : undefined,
    ...over,
  };
}

const scopes: Required<Scopes> = {
  app: { navigate: vi.fn() },
  dashboard: { focusSearch: noop, toggleView: noop, move: noop, open: noop },
  details: { showTab: noop, back: noop },
  snapshots: { create: noop, revert: noop, remove: noop, edit: noop },
  console: { toggleFullscreen: noop, showHelp: noop, toggleHelp: noop },
  status: { showOperations: noop },
  help: { toggle: noop },
};

function ctx(role: Role, pick: readonly (keyof Scopes)[], vm?: VMTarget, el: Element | null = null): CommandContext {
  return { can: can(role), scopes: Object.fromEntries(pick.map((k) => [k, scopes[k]])), vm, target: el };
}

/** Every page the app has, as the scopes it mounts, with a VM where the page has one, in every state and role. */
function everyContext(): CommandContext[] {
  const pages: { scopes: (keyof Scopes)[]; where?: VMTarget['where'] }[] = [
    { scopes: ['app', 'status', 'help', 'dashboard'] },
    { scopes: ['app', 'status', 'help', 'dashboard'], where: 'card' },
    { scopes: ['app', 'status', 'help', 'details'], where: 'details' },
    { scopes: ['app', 'status', 'help', 'details', 'snapshots'], where: 'details' },
    { scopes: ['app', 'status', 'help', 'details', 'console'], where: 'details' },
    { scopes: ['app', 'help', 'console'] },
  ];
  const card = document.createElement('article');
  card.dataset.vmKey = 'local/u1';
  const out: CommandContext[] = [];
  for (const role of ['viewer', 'operator', 'admin'] as const)
    for (const p of pages)
      for (const state of Object.keys(STATE_LABELS) as VMState[]) out.push(ctx(role, p.scopes, p.where ? target(state, p.where) : undefined, p.where === 'card' ? card : null));
  return out;
}

describe('the command catalogue', () => {
  it('has unique ids and keys that lib/keys can name', () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of COMMANDS)
      for (const seq of c.keys ?? [])
        for (const k of seq.split(' ')) {
          const shift = k.startsWith('Shift+');
          const key = shift ? k.slice(6) : k;
          expect(keyName({ key, shiftKey: shift, ctrlKey: false, metaKey: false, altKey: false }), `${c.id}: ${k}`).toBe(k);
        }
  });

  it('binds no key to two commands on any page, in any VM state, for any role', () => {
    expect(conflicts(COMMANDS, everyContext())).toEqual([]);
  });

  it('has no single key that also begins a sequence', () => {
    expect(prefixClashes(COMMANDS)).toEqual([]);
  });

  it('finds a conflict when two commands share a key where both apply', () => {
    const a = { id: 'a', title: 'A', group: 'Everywhere' as const, keys: ['x'], run: noop };
    const b = { ...a, id: 'b', when: (c: CommandContext) => c.vm !== undefined };
    expect(conflicts([a, b], [ctx('admin', [])])).toEqual([]);
    expect(conflicts([a, b], [ctx('admin', [], target('running', 'card'))])).toEqual([{ key: 'x', ids: ['a', 'b'] }]);
    expect(prefixClashes([a, { ...a, id: 'c', keys: ['x d'] }])).toEqual(['x']);
  });
});

describe('permissions', () => {
  it('gives a viewer no VM command: nothing bound, nothing said', () => {
    for (const where of ['card', 'details'] as const) {
      const c = ctx('viewer', ['app', 'help', 'dashboard', 'details', 'snapshots'], target('running', where));
      const keys = [...bindings(COMMANDS, c).keys()];
      for (const k of ['s', 'Shift+S', 'Shift+R', 'p', 'Shift+F', 'Shift+X', 'c', 't', 'Delete', 'n', 'r', 'Shift+D', 'e', 'g a', '2', '3']) {
        expect(keys, `${where}: ${k}`).not.toContain(k);
        expect(resolveKey(COMMANDS, c, k), `${where}: ${k}`).toEqual({ kind: 'none' });
      }
      // What a viewer may do stays.
      expect(keys).toEqual(expect.arrayContaining(['g d', '?']));
    }
  });

  it('keeps Delete and the audit log for admins', () => {
    const op = ctx('operator', ['app', 'details'], target('shutoff', 'details'));
    const admin = ctx('admin', ['app', 'details'], target('shutoff', 'details'));
    expect(bindings(COMMANDS, op).has('Delete')).toBe(false);
    expect(bindings(COMMANDS, op).has('g a')).toBe(false);
    expect(bindings(COMMANDS, admin).get('Delete')?.id).toBe('vm.delete');
    expect(bindings(COMMANDS, admin).get('g a')?.id).toBe('nav.audit');
  });
});

describe('when: the context decides', () => {
  it('binds each power key to the action the VM state allows', () => {
    const running = ctx('operator', ['dashboard'], target('running', 'card'));
    const paused = ctx('operator', ['dashboard'], target('paused', 'card'));
    expect(bindings(COMMANDS, running).get('p')?.id).toBe('vm.pause');
    expect(bindings(COMMANDS, paused).get('p')?.id).toBe('vm.resume');
    expect(bindings(COMMANDS, running).get('Shift+S')?.id).toBe('vm.shutdown');
    expect(bindings(COMMANDS, running).has('s')).toBe(false);
  });

  it('says why a power key does nothing in the VM state, and runs it where it can', () => {
    const t = target('running', 'card');
    const running = ctx('operator', ['dashboard'], t);
    expect(resolveKey(COMMANDS, running, 's')).toMatchObject({ kind: 'explain', message: 'Start is not possible for web now (running)' });
    const out = resolveKey(COMMANDS, running, 'Shift+S');
    expect(out).toMatchObject({ kind: 'run', command: { id: 'vm.shutdown' } });
    if (out.kind === 'run') out.command.run(running);
    expect(t.power).toHaveBeenCalledWith('shutdown' satisfies PowerAction);
  });

  it('says so when the command applies but cannot run now (an action in flight)', () => {
    const c = ctx('operator', ['dashboard'], target('running', 'card', { busy: (id) => id === 'vm.shutdown' }));
    expect(resolveKey(COMMANDS, c, 'Shift+S')).toMatchObject({ kind: 'explain' });
  });

  it('offers Reset and Delete on the VM page only', () => {
    const card = ctx('admin', ['dashboard'], target('running', 'card'));
    const page = ctx('admin', ['details'], target('running', 'details'));
    expect(applies(POWER_COMMANDS.reset, card)).toBe(false);
    expect(applies(POWER_COMMANDS.reset, page)).toBe(true);
    expect(resolveKey(COMMANDS, card, 'Shift+X')).toEqual({ kind: 'none' });
    expect(resolveKey(COMMANDS, card, 'Delete')).toEqual({ kind: 'none' });
  });

  it('opens a VM with Enter only from its card or row, not from its links and buttons', () => {
    const card = document.createElement('article');
    card.dataset.vmKey = 'local/u1';
    const link = document.createElement('a');
    card.append(link);
    expect(bindings(COMMANDS, ctx('viewer', ['dashboard'], undefined, card)).get('Enter')?.id).toBe('dashboard.open');
    expect(bindings(COMMANDS, ctx('viewer', ['dashboard'], undefined, link)).has('Enter')).toBe(false);
    expect(bindings(COMMANDS, ctx('viewer', ['dashboard'], undefined, null)).has('Enter')).toBe(false);
  });

  it('leaves F11 to the browser unless the console takes it', () => {
    const given = ctx('operator', ['console'], undefined);
    const left = { ...given, scopes: { console: { ...scopes.console, toggleFullscreen: undefined } } };
    expect(bindings(COMMANDS, given).get('F11')?.id).toBe('console.fullscreen');
    expect(bindings(COMMANDS, left).has('F11')).toBe(false);
  });
});
