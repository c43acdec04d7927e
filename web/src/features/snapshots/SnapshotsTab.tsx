// The VM's Snapshots tab: toolbar, pre-flight, the snapshot tree with
// "You are here", the details of the selection, and the dialogs that
// create, revert, delete and describe snapshots. The list is read once and
// re-read on `snapshot` events (api/events.ts) and when a snapshot
// operation of this VM starts or ends. A viewer sees the tree and the
// details but no action that changes snapshots.

import { useQuery } from '@tanstack/react-query';
import { ChevronsDownUp, ChevronsUpDown, Pencil, Plus, RefreshCw, RotateCcw, Trash2, TriangleAlert } from 'lucide-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { toast } from 'sonner';
import { useLocation, useSearch } from 'wouter';
import { useOperations } from '../../resources/operation/queries';
import type { Operation, SnapshotDeleteScope, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { Button, IconButton, MenuItem, MenuLabel, MenuSeparator, Tip } from '../../ui';
import { plural } from '../../lib/format';
import { parseIntent, withoutIntent } from '../../lib/routes';
import { describeOperation, describeProgress } from '../operations/operations';
import { RoleHint } from '../security/RoleNote';
import { useAccess } from '../security/useAccess';
import { useCommandScope } from '../commands/CommandsProvider';
import { CreateSnapshotDialog } from './CreateSnapshotDialog';
import { DeleteSnapshotDialog } from './DeleteSnapshotDialog';
import { EditDescriptionDialog } from './EditDescriptionDialog';
import { ancestorsOf, branchIds, buildForest, buildRows, LIVE_ID, revealIn } from './model';
import { anyPossible, PreflightLine, Reasons } from './parts';
import { busyStillHolds, listQuery, runningSnapshotOp } from '../../resources/snapshot/queries';
import { useSnapshotRereads } from '../../resources/snapshot/useSnapshotRereads';
import { RevertDialog } from './RevertDialog';
import { SnapshotPanel, type PanelActions } from './SnapshotPanel';
import { SnapshotTree } from './SnapshotTree';
import { SchedulesSection } from '../schedules/SchedulesSection';
import { DiskUsageSection } from './DiskUsageSection';
import { ExportButton } from '../transfer/ExportButton';
import './snapshots.css';

type DialogState =
  | { kind: 'create' }
  | { kind: 'revert'; name: string }
  | { kind: 'delete'; name: string; scope: SnapshotDeleteScope }
  | { kind: 'edit'; name: string }
  | null;

/** Waits a little before following a fast-moving value (arrowing through the tree reads no details on the way). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

function TreeSkeleton() {
  return (
    <div className="snap-skeleton" aria-hidden="true">
      {[0, 1, 2, 3, 4].map((i) => (
        <div key={i} className="snap-skeleton-row" style={{ marginLeft: `${Math.min(i, 2) * 16}px` }}>
          <span className="snap-skeleton-dot" />
          <span className="snap-skeleton-bar" style={{ width: `${60 - i * 6}%` }} />
        </div>
      ))}
    </div>
  );
}

export default function SnapshotsTab({ vm }: { vm: VM }) {
  const { host, uuid } = vm;
  const listQ = useQuery(listQuery(host, uuid));
  const list = listQ.data;
  const [picked, setPicked] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [dialog, setDialog] = useState<DialogState>(null);
  const panelTitle = useRef<HTMLHeadingElement>(null);
  const access = useAccess();
  const mayChange = access.can('vm.snapshot');

  // "Take snapshot" elsewhere (the details toolbar, `t`) comes as an intent in the address (?do=snapshot): it opens the create dialog here.
  const [path, navigate] = useLocation();
  const search = useSearch();
  const requested = parseIntent(search) === 'snapshot';
  const creating = mayChange && (dialog?.kind === 'create' || requested);

  const running = useOperations(useCallback((ops: Operation[]) => runningSnapshotOp(ops, host, uuid), [host, uuid])).data;
  const listBusy = list?.busy;
  const holdsIn = useCallback((ops: Operation[] | undefined) => busyStillHolds(listBusy, ops), [listBusy]);
  const holds = useOperations(holdsIn).data ?? holdsIn(undefined);
  const busy = running !== undefined || holds;

  // The list is re-read when a snapshot operation of this VM starts and
  // ends, and when the VM's state changes outside snapshot work.
  useSnapshotRereads(vm, running !== undefined);

  const forest = useMemo(() => buildForest(list?.snapshots ?? [], list?.current), [list]);
  const rows = useMemo(() => buildRows(forest, collapsed), [forest, collapsed]);

  // The selection: what the user picked while it exists, else the current snapshot, else the live state.
  const selected = picked !== null && (picked === LIVE_ID || forest.byName.has(picked)) ? picked : (list?.current ?? LIVE_ID);
  // A selection hidden by a collapse shows its nearest visible ancestor as selected.
  const visible = useMemo(() => new Set(rows.map((r) => r.id)), [rows]);
  const visibleSelected = visible.has(selected) ? selected : (ancestorsOf(forest, selected).find((a) => visible.has(a)) ?? rows[0]?.id ?? LIVE_ID);
  // The details follow the user's moves after a pause; the first selection at once.
  const settled = useSettled(visibleSelected, 150);
  // (A snapshot just deleted is not asked for again while the pause runs out.)
  const detailsFor = picked === null || (settled !== LIVE_ID && !forest.byName.has(settled)) ? visibleSelected : settled;
  const selectedName = visibleSelected === LIVE_ID ? undefined : visibleSelected;
  const panelName = detailsFor === LIVE_ID ? undefined : detailsFor;

  const busyId = useMemo(() => {
    if (!busy) return undefined;
    if (running?.kind === 'snapshot-create') return LIVE_ID;
    return list?.busy?.snapshot;
  }, [busy, running, list]);

  const openCreate = useCallback(() => setDialog({ kind: 'create' }), []);
  const openRevert = useCallback((name: string) => setDialog({ kind: 'revert', name }), []);
  const openDelete = useCallback((name: string, scope: SnapshotDeleteScope = 'one') => setDialog({ kind: 'delete', name, scope }), []);
  const openEdit = useCallback((name: string) => setDialog({ kind: 'edit', name }), []);

  const needSnapshot = (what: string) => toast.info(`Select a snapshot to ${what} first`, { description: 'Use the arrow keys in the tree, or click one.' });
  const whileBusy = () => toast.info('A snapshot operation is running on this VM', { description: 'Wait for it to finish.' });
  const notAllowed = () => toast.info(access.denied('vm.snapshot'));
  // The commands n, r, Shift+D and e (features/commands): only for a role that may change snapshots.
  useCommandScope(
    'snapshots',
    mayChange
      ? {
          create: () => (busy ? whileBusy() : openCreate()),
          revert: () => (busy ? whileBusy() : selectedName ? openRevert(selectedName) : needSnapshot('revert to')),
          remove: () => (busy ? whileBusy() : selectedName ? openDelete(selectedName) : needSnapshot('delete')),
          edit: () => (selectedName ? openEdit(selectedName) : needSnapshot('describe')),
        }
      : undefined,
  );

  const actions: PanelActions = useMemo(
    () => ({
      onRevert: openRevert,
      onDelete: (name) => openDelete(name),
      onEdit: openEdit,
      onCreate: openCreate,
      onSelect: (name) => {
        setPicked(name);
        setCollapsed((c) => revealIn(c, forest, name));
      },
    }),
    [openRevert, openDelete, openEdit, openCreate, forest],
  );

  const toggle = useCallback((id: string, expand: boolean) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (expand) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const menu = (id: string) => {
    if (!mayChange) {
      return (
        <>
          <MenuLabel>{id === LIVE_ID ? 'You are here' : id}</MenuLabel>
          <MenuItem onSelect={() => panelTitle.current?.focus()}>
            Details
          </MenuItem>
        </>
      );
    }
    if (id === LIVE_ID) {
      return (
        <MenuItem disabled={busy} onSelect={openCreate} shortcut="n">
          Take a snapshot here…
        </MenuItem>
      );
    }
    const s = forest.byName.get(id);
    const kids = (s?.descendants ?? 0) > 0;
    return (
      <>
        <MenuLabel>{id}</MenuLabel>
        <MenuItem disabled={busy} onSelect={() => openRevert(id)} shortcut="r">
          Revert to this snapshot…
        </MenuItem>
        <MenuSeparator />
        <MenuItem disabled={busy} onSelect={() => openDelete(id, 'one')} shortcut="Shift+D">
          Delete…
        </MenuItem>
        <MenuItem disabled={busy || !kids} onSelect={() => openDelete(id, 'subtree')}>
          Delete with children…
        </MenuItem>
        <MenuItem disabled={busy || !kids} onSelect={() => openDelete(id, 'children')}>
          Delete children only…
        </MenuItem>
        <MenuSeparator />
        <MenuItem onSelect={() => openEdit(id)} shortcut="e">
          Edit description…
        </MenuItem>
        <MenuItem onSelect={() => panelTitle.current?.focus()}>
          Details
        </MenuItem>
      </>
    );
  };

  const caps = list?.capabilities;
  const canCreate = list === undefined || anyPossible(caps);
  const status = running
    ? `${describeOperation(running)}${list?.busy?.snapshot ? ` (“${list.busy.snapshot}”)` : ''} · ${describeProgress(running)}`
    : holds && list?.busy
      ? `Busy: ${list.busy.kind} of “${list.busy.snapshot}”`
      : null;
  // A dialog closes itself when its operation ends, which may be after the
  // user closed it and opened another: close only the dialog of that kind.
  const closer = (kind: NonNullable<DialogState>['kind']) => (open: boolean) => {
    if (open) return;
    setDialog((d) => (d?.kind === kind ? null : d));
    if (kind === 'create' && requested) {
      // Answered: the address forgets the intent (a reload does not reopen the dialog).
      const rest = withoutIntent(search);
      navigate(rest ? `${path}?${rest}` : path, { replace: true });
    }
  };

  return (
    <div className="snapshots">
      <div className="snap-toolbar toolbar-labels" role="group" aria-label="Snapshot toolbar">
        {mayChange ? (
          <>
            <Tip text={canCreate ? 'New snapshot (n)' : 'This VM cannot take a snapshot now (see why below)'}>
              <Button variant="primary" disabled={busy || !canCreate} onClick={openCreate} aria-keyshortcuts="n">
                <Plus size={16} aria-hidden /> New snapshot
              </Button>
            </Tip>
            <Tip text="Revert to the selected snapshot (r)">
              <Button disabled={busy || !selectedName} onClick={() => selectedName && openRevert(selectedName)} aria-keyshortcuts="r">
                <RotateCcw size={16} aria-hidden /> Revert to selected
              </Button>
            </Tip>
            <Tip text="Delete the selected snapshot (Shift+D, or Delete in the tree)">
              <Button variant="danger-outline" disabled={busy || !selectedName} onClick={() => selectedName && openDelete(selectedName)} aria-keyshortcuts="Shift+D">
                <Trash2 size={16} aria-hidden /> Delete selected
              </Button>
            </Tip>
            <IconButton showLabel="wide" text="Edit description" label="Edit description" tip="Edit the selected snapshot’s description (e)" disabled={!selectedName} onClick={() => selectedName && openEdit(selectedName)}>
              <Pencil size={16} aria-hidden />
            </IconButton>
            <ExportButton vm={vm} disabled={busy} />
          </>
        ) : (
          <RoleHint permission="vm.snapshot" />
        )}
        <span className="snap-toolbar-sep" aria-hidden="true" />
        <IconButton showLabel="wide" label="Expand all" tip="Expand all (* expands siblings in the tree)" disabled={collapsed.size === 0} onClick={() => setCollapsed(new Set())}>
          <ChevronsUpDown size={16} aria-hidden />
        </IconButton>
        <IconButton showLabel="wide" label="Collapse all" onClick={() => setCollapsed(new Set(branchIds(forest)))}>
          <ChevronsDownUp size={16} aria-hidden />
        </IconButton>
        <IconButton showLabel="wide" text="Reload" label="Reload the snapshot list" disabled={listQ.isFetching} onClick={() => void listQ.refetch()}>
          <RefreshCw size={16} aria-hidden className={listQ.isFetching ? 'spin' : undefined} />
        </IconButton>
        <span className="snap-status" role="status">
          {status ?? (list ? plural(list.count, 'snapshot') : '')}
        </span>
      </div>

      {caps && <PreflightLine caps={caps} />}
      {caps && !anyPossible(caps) && (
        <div className="snap-warn" role="note">
          <TriangleAlert size={16} aria-hidden />
          <div>
            <strong>{vm.name} cannot take a snapshot now</strong>
            <Reasons cap={{ ...caps['disk-only'], reasons: [...new Set([...(caps.memory.reasons ?? []), ...(caps['disk-only'].reasons ?? [])])], fixes: [...new Set([...(caps.memory.fixes ?? []), ...(caps['disk-only'].fixes ?? [])])] }} />
          </div>
        </div>
      )}
      {list?.sizesError && <p className="muted small sentence">{list.sizesError}</p>}

      <div className="snap-cols">
        <section className="panel snap-tree-panel" aria-labelledby="snap-tree-title">
          <h2 id="snap-tree-title" className="panel-title">
            Snapshot tree
          </h2>
          {listQ.isPending ? (
            <>
              <p className="sr-only" role="status">
                Loading snapshots…
              </p>
              <TreeSkeleton />
            </>
          ) : listQ.isError && !list ? (
            <ErrorNote error={listQ.error} title="The snapshots cannot be read" onRetry={() => void listQ.refetch()} />
          ) : (
            <>
              {list?.count === 0 && (
                <p className="muted small">
                  No snapshots yet. A snapshot keeps the VM’s disks (and its memory, while it runs) as they are now, so that you can return to this moment
                  later.
                </p>
              )}
              <SnapshotTree
                rows={rows}
                selected={visibleSelected}
                busyId={busyId}
                vmState={vm.state}
                label={`Snapshots of ${vm.name}`}
                menu={menu}
                onSelect={setPicked}
                onToggle={toggle}
                onExpandMany={(ids) => setCollapsed((c) => new Set([...c].filter((x) => !ids.includes(x))))}
                onActivate={() => panelTitle.current?.focus()}
                onDeleteKey={(id) => (!mayChange ? notAllowed() : busy ? whileBusy() : openDelete(id))}
              />
              <p className="muted small snap-keys">
                Arrow keys move and expand, <kbd>Enter</kbd> goes to the details, the <kbd>Menu</kbd> key or <kbd>Shift+F10</kbd> opens the node’s menu.
              </p>
            </>
          )}
        </section>
        <SnapshotPanel ref={panelTitle} vm={vm} list={list} name={panelName} entry={panelName ? forest.byName.get(panelName) : undefined} busy={busy} actions={actions} />
      </div>

      <SchedulesSection vm={vm} selected={panelName && panelName !== LIVE_ID ? panelName : undefined} />

      <DiskUsageSection vm={vm} busy={busy} />

      {mayChange && (
        <>
          <CreateSnapshotDialog
            vm={vm}
            list={list}
            open={creating}
            busy={busy}
            onOpenChange={closer('create')}
            onCreated={(name) => {
              setPicked(name);
              setCollapsed((c) => revealIn(c, forest, LIVE_ID));
            }}
          />
          <RevertDialog vm={vm} name={dialog?.kind === 'revert' ? dialog.name : ''} open={dialog?.kind === 'revert'} onOpenChange={closer('revert')} />
          <DeleteSnapshotDialog
            vm={vm}
            forest={forest}
            name={dialog?.kind === 'delete' ? dialog.name : ''}
            scope={dialog?.kind === 'delete' ? dialog.scope : 'one'}
            open={dialog?.kind === 'delete'}
            onOpenChange={closer('delete')}
          />
          <EditDescriptionDialog vm={vm} snapshot={dialog?.kind === 'edit' ? forest.byName.get(dialog.name) : undefined} open={dialog?.kind === 'edit'} onOpenChange={closer('edit')} />
        </>
      )}
    </div>
  );
}
