// The quick actions of a VM card or table row: the power actions its state
// allows, then Open console and Take snapshot, which do that without leaving
// the dashboard: the console opens in its own window, and Take snapshot
// opens the create dialog over the dashboard (an intent in the address,
// ?do=snapshot&vm=…) — each only when the user's role may use it (a viewer
// gets none). The buttons are the card's VM commands (features/commands),
// the same the keyboard runs while focus is in the card or row.

import { Camera, LoaderCircle, Monitor, Pause, Play, Power, PowerOff, RotateCw, type LucideIcon } from 'lucide-react';
import { memo } from 'react';
import { useLocation } from 'wouter';
import type { PowerAction, VM } from '../../api/types';
import { IconButton } from '../../components/IconButton';
import { openPopout } from '../../lib/popout';
import { dashboardHref, parseDashboard } from '../../lib/routes';
import { POWER_COMMANDS, POWER_ORDER, VM_CONSOLE, VM_SNAPSHOT } from '../commands/catalogue';
import { useVMCommands } from '../commands/CommandsProvider';
import { ariaKeys, tipOf, type VMTarget } from '../commands/registry';
import type { Access } from '../security/access';
import { useAccess } from '../security/useAccess';
import { useRunningOperation } from './useRunningOperation';
import { useVMAction } from './useVMAction';

export const ACTION_ICONS: Record<PowerAction, LucideIcon> = {
  start: Play,
  shutdown: Power,
  reboot: RotateCw,
  'force-off': PowerOff,
  reset: RotateCw,
  pause: Pause,
  resume: Play,
};

/** A card's commands, in button order (Reset and Delete apply on the VM's page only). */
const CARD_COMMANDS = [...POWER_ORDER.map((a) => POWER_COMMANDS[a]), VM_CONSOLE, VM_SNAPSHOT];
const ACTION_OF = new Map(POWER_ORDER.map((a) => [POWER_COMMANDS[a].id, a] as const));

/** Whether a role gets any quick action (a viewer gets none, and its cards no row for them). */
export function hasQuickActions(access: Pick<Access, 'can'>): boolean {
  return access.can('vm.power') || access.can('vm.console') || access.can('vm.snapshot');
}

export const QuickActions = memo(function QuickActions({ vm, disabled }: { vm: VM; disabled?: boolean | undefined }) {
  const { run, pending } = useVMAction(vm);
  const op = useRunningOperation(vm.host, vm.uuid);
  const [, navigate] = useLocation();
  const { can } = useAccess();
  const target: VMTarget = {
    vm,
    where: 'card',
    // Only the power buttons wait; the console and a snapshot dialog can always open.
    busy: (id) => ACTION_OF.has(id) && (disabled === true || pending !== undefined || (id === 'vm.shutdown' && op?.kind === 'shutdown')),
    power: (a) => void run(a),
    openConsole: () => openPopout('console', vm.host, vm.uuid),
    takeSnapshot: () => navigate(dashboardHref(parseDashboard(window.location.search).filter, { do: 'snapshot', vm: { host: vm.host, uuid: vm.uuid } })),
  };
  const offered = useVMCommands(target, CARD_COMMANDS);
  if (!hasQuickActions({ can })) return null;
  const power = offered.filter((o) => ACTION_OF.has(o.command.id));
  const nav = offered.filter((o) => !ACTION_OF.has(o.command.id));
  return (
    <div className="quick-actions" role="group" aria-label={`Actions for ${vm.name}`}>
      <div className="quick-power">
        {power.map(({ command, disabled: blocked, run: runCommand }) => {
          const a = ACTION_OF.get(command.id) as PowerAction;
          const Icon = ACTION_ICONS[a];
          return (
            <IconButton
              key={a}
              data-action={a}
              label={command.title}
              tip={tipOf(command)}
              aria-keyshortcuts={ariaKeys(command)}
              tone={a === 'force-off' ? 'danger' : 'default'}
              disabled={blocked}
              aria-busy={pending === a || undefined}
              onClick={runCommand}
            >
              {pending === a ? <LoaderCircle className="spin" size={16} aria-hidden /> : <Icon size={16} aria-hidden />}
            </IconButton>
          );
        })}
      </div>
      <div className="quick-nav">
        {nav.map(({ command, disabled: blocked, run: runCommand }) => (
          <IconButton
            key={command.id}
            label={command.title}
            tip={command === VM_CONSOLE ? 'Open console in a new window (c)' : tipOf(command)}
            aria-keyshortcuts={ariaKeys(command)}
            disabled={blocked}
            onClick={runCommand}
          >
            {command === VM_CONSOLE ? <Monitor size={16} aria-hidden /> : <Camera size={16} aria-hidden />}
          </IconButton>
        ))}
      </div>
    </div>
  );
});
