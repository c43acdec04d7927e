// A VM's own page (/vms/:host/:uuid[/tab]): header with power actions, and
// the Overview, Console, Serial, Snapshots and (admins) Hardware tabs. What the user's role may
// not do is not offered: no power buttons for a viewer (and a note instead
// of the consoles), no Delete for an operator.

import { ArrowLeft, Camera, Trash2, LoaderCircle } from 'lucide-react';
import { Tabs } from 'radix-ui';
import { lazy, Suspense, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { useHosts } from '../../resources/host/queries';
import { useVMs } from '../../resources/vm/queries';
import type { Operation, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { StateBadge } from '../../components/StateBadge';
import { Tip } from '../../components/IconButton';
import { Banner, Button } from '../../ui';
import { useTitle } from '../../components/useTitle';
import { formatVCPUs, formatKiB } from '../../lib/format';
import { useStore } from '../../lib/store';
import { DETAILS_TABS, vmHref, type DetailsTab } from '../../resources/vm/model';
import { dashboardReturnStore } from '../layout/navState';
import { describeOperation, describeProgress } from '../operations/operations';
import { POWER_COMMANDS, POWER_ORDER, VM_CONSOLE, VM_DELETE, VM_SNAPSHOT } from '../commands/catalogue';
import { useCommandScope, useVMCommands } from '../commands/CommandsProvider';
import { ariaKeys, tipOf, type VMTarget } from '../commands/registry';
import { RoleHint, RoleNote } from '../security/RoleNote';
import { useAccess } from '../security/useAccess';
import { ACTION_ICONS } from '../vms/QuickActions';
import { useRunningOperation } from '../vms/useRunningOperation';
import { useVMAction } from '../vms/useVMAction';
import { CloneActions } from '../create/CloneActions';
import { DeleteVMDialog } from './DeleteVMDialog';
import { Overview } from './Overview';
import './details.css';

/** The VM page's commands, in button order; Open console (c) has no button here: it is the Console tab. */
const DETAILS_COMMANDS = [...POWER_ORDER.map((a) => POWER_COMMANDS[a]), VM_SNAPSHOT, VM_DELETE, VM_CONSOLE];
const ACTION_OF = new Map(POWER_ORDER.map((a) => [POWER_COMMANDS[a].id, a] as const));

/** The page's actions: its VM commands (features/commands), the same the keyboard runs on this page. */
function DetailsActions({ vm, hostDown, op, onDelete }: { vm: VM; hostDown: boolean; op: Operation | undefined; onDelete: () => void }) {
  const { run, pending } = useVMAction(vm);
  const [, navigate] = useLocation();
  const target: VMTarget = {
    vm,
    where: 'details',
    busy: (id) =>
      hostDown ||
      (ACTION_OF.has(id) && (pending !== undefined || (id === 'vm.shutdown' && op?.kind === 'shutdown'))) ||
      (id === VM_SNAPSHOT.id && op?.kind.startsWith('snapshot-') === true),
    power: (a) => void run(a),
    openConsole: () => navigate(vmHref(vm.host, vm.uuid, 'console')),
    takeSnapshot: () => navigate(vmHref(vm.host, vm.uuid, 'snapshots', 'snapshot')),
    remove: onDelete,
  };
  const buttons = useVMCommands(target, DETAILS_COMMANDS).filter((o) => o.command !== VM_CONSOLE);
  if (buttons.length === 0) return null;
  return (
    <div className="details-actions" role="group" aria-label="Power actions">
      {buttons.map(({ command, disabled, run: runCommand }) => {
        const a = ACTION_OF.get(command.id);
        const Icon = a ? ACTION_ICONS[a] : command === VM_SNAPSHOT ? Camera : Trash2;
        const danger = a === 'force-off' || a === 'reset' || command === VM_DELETE;
        return (
          <Tip key={command.id} text={tipOf(command)}>
            <Button
              variant={danger ? 'danger-outline' : 'default'}
              aria-label={command.title}
              aria-keyshortcuts={ariaKeys(command)}
              disabled={disabled}
              onClick={runCommand}
            >
              {a !== undefined && pending === a ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Icon size={16} aria-hidden />}
              {command.title}
            </Button>
          </Tip>
        );
      })}
    </div>
  );
}

const ConsoleTab = lazy(() => import('../console/ConsoleTab'));
const SerialTab = lazy(() => import('../serial/SerialTab'));
const SnapshotsTab = lazy(() => import('../snapshots/SnapshotsTab'));
const HardwareTab = lazy(() => import('../hardware/HardwareTab'));

function TabFallback() {
  return (
    <p className="muted" role="status">
      Loading…
    </p>
  );
}

function isTab(t: string | undefined): t is DetailsTab {
  return t !== undefined && (DETAILS_TABS as readonly string[]).includes(t);
}

export default function VMDetailsPage({ host, uuid, tab }: { host: string; uuid: string; tab?: string | undefined }) {
  const vmsQ = useVMs();
  const hosts = useHosts().data;
  const [, navigate] = useLocation();
  const [deleting, setDeleting] = useState(false);
  const { can } = useAccess();
  const dashboard = useStore(dashboardReturnStore);
  const current: DetailsTab = isTab(tab) ? tab : 'overview';
  // UUIDs are kept in lower case; an address may hold upper case.
  const vm = vmsQ.data?.find((v) => v.host === host && v.uuid === uuid.toLowerCase());
  const hostInfo = hosts?.find((h) => h.name === host);
  const op = useRunningOperation(host, uuid.toLowerCase());
  useTitle(vm?.name ?? 'VM');

  // The tabs' keys (1, 2, 3, 4) come from the route table, through the command catalogue.
  useCommandScope('details', { showTab: (t) => navigate(vmHref(host, uuid, t)), back: () => navigate(dashboard) });

  if (vmsQ.isPending) {
    return (
      <div className="page-scroll">
        <div className="page muted" role="status">
          Loading…
        </div>
      </div>
    );
  }
  if (!vm) {
    return (
      <div className="page-scroll">
        <div className="page">
          <Link href={dashboard} className="back-link">
            <ArrowLeft size={16} aria-hidden /> All VMs
          </Link>
          <h1>VM not found</h1>
          {vmsQ.isError ? (
            <ErrorNote error={vmsQ.error} />
          ) : (
            <p>
              Host “{host}” has no VM with UUID <span className="mono">{uuid}</span>. It may have been deleted
              {hostInfo && hostInfo.state !== 'connected' ? `, or host ${host} is not connected (${hostInfo.state})` : ''}.
            </p>
          )}
        </div>
      </div>
    );
  }

  const hostDown = hostInfo !== undefined && hostInfo.state !== 'connected';

  return (
    <div className="page-scroll">
      <div className="page details" data-vm-scope data-vm-name={vm.name}>
        <Link href={dashboard} className="back-link">
          <ArrowLeft size={16} aria-hidden /> All VMs
        </Link>
        <div className="details-head">
          <div className="details-title">
            <h1>{vm.name}</h1>
            <StateBadge state={vm.state} reason={vm.reason} />
            {vm.template && <span className="badge badge-plain">Template</span>}
            <span className="muted">
              {formatVCPUs(vm.vcpus)} · {formatKiB(vm.memoryMaxKiB)} · on {vm.host}
            </span>
          </div>
          <DetailsActions vm={vm} hostDown={hostDown} op={op} onDelete={() => setDeleting(true)} />
          <CloneActions vm={vm} busy={hostDown || op !== undefined} />
        </div>
        {vm.title && <p className="details-subtitle">{vm.title}</p>}
        {vm.template && (
          <Banner role="status" title="A template">
            This VM is cloned, never run, so it has no power actions. Use “New VM from template”.
          </Banner>
        )}
        {hostDown && (
          <div className="banner banner-warn" role="status">
            Host {host} is {hostInfo.state}
            {hostInfo.error ? `: ${hostInfo.error}` : ''}. What is shown may be out of date, and actions wait until it is back.
          </div>
        )}
        {op && (
          <div className="op-banner" role="status">
            <LoaderCircle size={16} className="spin" aria-hidden />
            <span>
              {describeOperation(op)} · {describeProgress(op)}
            </span>
            <span className="mini-progress" aria-hidden>
              <span style={{ width: `${op.progress.percent ?? 5}%` }} />
            </span>
          </div>
        )}

        <Tabs.Root value={current} onValueChange={(t) => navigate(vmHref(host, uuid, t as DetailsTab))} className="tabs" activationMode="manual">
          <div className="tab-bar">
            <Tabs.List className="tab-list" aria-label="VM sections">
              <Tabs.Trigger value="overview" className="tab">
                Overview
              </Tabs.Trigger>
              {/* A role without consoles does not get tabs that could only say so (a link to one still does). */}
              {can('vm.console') && (
                <Tabs.Trigger value="console" className="tab">
                  Console
                </Tabs.Trigger>
              )}
              {can('vm.console') && (
                <Tabs.Trigger value="serial" className="tab">
                  Serial
                </Tabs.Trigger>
              )}
              <Tabs.Trigger value="snapshots" className="tab">
                Snapshots
                {vm.snapshotCount > 0 && (
                  <span className="badge" aria-hidden="true">
                    {vm.snapshotCount}
                  </span>
                )}
              </Tabs.Trigger>
              {can('vm.edit') && (
                <Tabs.Trigger value="hardware" className="tab">
                  Hardware
                </Tabs.Trigger>
              )}
            </Tabs.List>
            {!can('vm.console') && <RoleHint permission="vm.console" />}
          </div>
          <Tabs.Content value="overview" className="tab-panel">
            <Overview vm={vm} host={hostInfo} />
          </Tabs.Content>
          {/* Each feature's tab is its own chunk: noVNC and xterm.js load only when opened. */}
          <Suspense fallback={<TabFallback />}>
            <Tabs.Content value="console" className="tab-panel">
              {current === 'console' &&
                (can('vm.console') ? <ConsoleTab vm={vm} /> : <RoleNote permission="vm.console" title="The console is not available to you" />)}
            </Tabs.Content>
            <Tabs.Content value="serial" className="tab-panel">
              {current === 'serial' &&
                (can('vm.console') ? <SerialTab vm={vm} /> : <RoleNote permission="vm.console" title="The serial console is not available to you" />)}
            </Tabs.Content>
            <Tabs.Content value="snapshots" className="tab-panel">
              {current === 'snapshots' && <SnapshotsTab vm={vm} />}
            </Tabs.Content>
            <Tabs.Content value="hardware" className="tab-panel">
              {current === 'hardware' &&
                (can('vm.edit') ? <HardwareTab vm={vm} /> : <RoleNote permission="vm.edit" title="Hardware changes are for admins" />)}
            </Tabs.Content>
          </Suspense>
        </Tabs.Root>

        {can('vm.delete') && <DeleteVMDialog vm={vm} open={deleting} onOpenChange={setDeleting} localHost={hostInfo?.local ?? true} />}
      </div>
    </div>
  );
}
