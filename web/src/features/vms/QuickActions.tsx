// The quick actions of a VM card or table row: the power actions its state
// allows, then Open console and Take snapshot, which do that without leaving
// the dashboard: the console opens in its own window, and Take snapshot
// opens the create dialog over the dashboard (an intent in the address,
// ?do=snapshot&vm=…) — each only when the user's role may use it (a viewer
// gets none).

import { Camera, LoaderCircle, Monitor, Pause, Play, Power, PowerOff, RotateCw, type LucideIcon } from 'lucide-react';
import { memo } from 'react';
import { useLocation } from 'wouter';
import type { PowerAction, VM } from '../../api/types';
import { IconButton } from '../../components/IconButton';
import { openPopout } from '../../lib/popout';
import { dashboardHref, parseDashboard } from '../../lib/routes';
import { ACTION_INFO } from '../../resources/vm/model';
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

/** The power actions a card offers, in order (reset lives on the details page). */
const QUICK: readonly PowerAction[] = ['start', 'resume', 'shutdown', 'reboot', 'pause', 'force-off'];

export const SHORTCUT_HINT: Partial<Record<PowerAction, string>> = {
  start: 's',
  shutdown: 'Shift+S',
  reboot: 'Shift+R',
  pause: 'p',
  resume: 'p',
  'force-off': 'Shift+F',
};

/** Whether a role gets any quick action (a viewer gets none, and its cards no row for them). */
export function hasQuickActions(access: Pick<Access, 'can'>): boolean {
  return access.can('vm.power') || access.can('vm.console') || access.can('vm.snapshot');
}

export const QuickActions = memo(function QuickActions({ vm, disabled }: { vm: VM; disabled?: boolean | undefined }) {
  const { run, pending } = useVMAction(vm);
  const op = useRunningOperation(vm.host, vm.uuid);
  const [, navigate] = useLocation();
  const { can } = useAccess();
  const allowed = can('vm.power') ? (vm.actions ?? []) : [];
  if (!hasQuickActions({ can })) return null;
  return (
    <div className="quick-actions" role="group" aria-label={`Actions for ${vm.name}`}>
      <div className="quick-power">
        {QUICK.filter((a) => allowed.includes(a)).map((a) => {
          const Icon = ACTION_ICONS[a];
          const info = ACTION_INFO[a];
          const blocked = disabled === true || pending !== undefined || (a === 'shutdown' && op?.kind === 'shutdown');
          const key = SHORTCUT_HINT[a];
          return (
            <IconButton
              key={a}
              data-action={a}
              label={info.label}
              tip={key ? `${info.label} (${key})` : info.label}
              tone={a === 'force-off' ? 'danger' : 'default'}
              disabled={blocked}
              aria-busy={pending === a || undefined}
              onClick={() => void run(a)}
            >
              {pending === a ? <LoaderCircle className="spin" size={16} aria-hidden /> : <Icon size={16} aria-hidden />}
            </IconButton>
          );
        })}
      </div>
      <div className="quick-nav">
        {can('vm.console') && (
          <IconButton label="Open console" tip="Open console in a new window (c)" onClick={() => openPopout('console', vm.host, vm.uuid)}>
            <Monitor size={16} aria-hidden />
          </IconButton>
        )}
        {can('vm.snapshot') && (
          <IconButton
            label="Take snapshot"
            tip="Take snapshot (t)"
            onClick={() => navigate(dashboardHref(parseDashboard(window.location.search).filter, { do: 'snapshot', vm: { host: vm.host, uuid: vm.uuid } }))}
          >
            <Camera size={16} aria-hidden />
          </IconButton>
        )}
      </div>
    </div>
  );
});
