// The display selector of the console toolbar, for VMs with more than one
// display head (several video devices, or heads): the heads QEMU serves
// over VNC open in this tab or a window of their own; the others say why
// not and offer the .vv file for remote-viewer.

import { Download, ExternalLink, MonitorSmartphone } from 'lucide-react';
import { useEffect, useState } from 'react';
import { api, vmPath } from '../../../api/client';
import type { VM } from '../../../api/types';
import { popoutHref } from '../../../lib/routes';
import { Button, Menu, MenuGroup, MenuItem, MenuLabel, MenuSeparator } from '../../../ui';

/** One display head, as GET …/displays answers it. */
export interface DisplayInfo {
  index: number;
  device: string;
  model: string;
  head: number;
  primary: boolean;
  browser: boolean;
  reason?: string;
}

/** The label of a display in the selector. */
export function displayLabel(d: DisplayInfo): string {
  return `Display ${d.index + 1} · ${d.device}${d.head > 0 ? ` head ${d.head + 1}` : ''} (${d.model})`;
}

/** The display a console page shows, from its ?display= (0 when absent or invalid). */
export function displayFromSearch(search: string): number {
  const n = Number(new URLSearchParams(search).get('display') ?? '0');
  return Number.isInteger(n) && n >= 0 && n < 64 ? n : 0;
}

/** The URL of display n of the page at path (the tab or the pop-out window). */
export function displayHref(path: string, n: number): string {
  return n > 0 ? `${path}?display=${n}` : path;
}

export function DisplayMenu({ vm, current, container }: { vm: VM; current: number; container?: HTMLElement | undefined }) {
  const [displays, setDisplays] = useState<DisplayInfo[]>([]);
  useEffect(() => {
    const ac = new AbortController();
    api<{ displays: DisplayInfo[] }>(`${vmPath(vm.host, vm.uuid)}/displays`, { signal: ac.signal }).then(
      (r) => setDisplays(r.displays),
      () => undefined, // no list: no selector (the console itself says what is wrong)
    );
    return () => ac.abort();
  }, [vm.host, vm.uuid, vm.state]);
  if (displays.length < 2) return null;
  const tab = `/vms/${encodeURIComponent(vm.host)}/${encodeURIComponent(vm.uuid)}/console`;
  const open = (n: number) => {
    window.location.assign(displayHref(tab, n));
  };
  const popout = (n: number) => {
    const w = window.open(displayHref(popoutHref('console', vm.host, vm.uuid), n), `kvmm-console-${vm.host}-${vm.uuid}-${n}`, 'popup=yes,width=1100,height=780');
    w?.focus();
  };
  const cur = displays.find((d) => d.index === current);
  return (
    <Menu
      container={container}
      trigger={
        <Button size="sm" variant="ghost" className="vnc-menu-btn" aria-label={`Display: ${cur ? `Display ${cur.index + 1}` : 'choose'}`} data-testid="display-menu">
          <MonitorSmartphone size={16} aria-hidden />
          {cur ? `Display ${cur.index + 1}` : 'Displays'} of {displays.length}
        </Button>
      }
    >
      <MenuGroup>
        <MenuLabel>Show in this tab</MenuLabel>
        {displays.map((d) => (
          <MenuItem key={d.index} disabled={!d.browser || d.index === current} hint={d.browser ? undefined : d.reason} onSelect={() => open(d.index)}>
            {displayLabel(d)}
            {d.index === current ? ' (shown)' : ''}
          </MenuItem>
        ))}
      </MenuGroup>
      <MenuSeparator />
      <MenuGroup>
        <MenuLabel>Open in a new window</MenuLabel>
        {displays
          .filter((d) => d.browser)
          .map((d) => (
            <MenuItem key={d.index} icon={<ExternalLink size={15} />} onSelect={() => popout(d.index)}>
              {`Display ${d.index + 1} in a new window`}
            </MenuItem>
          ))}
      </MenuGroup>
      {displays.some((d) => !d.browser) && (vm.graphics ?? []).some((g) => g.type === 'spice') && (
        <>
          <MenuSeparator />
          <MenuItem
            icon={<Download size={15} />}
            hint="remote-viewer shows every head of a SPICE display"
            onSelect={() => window.location.assign(`${vmPath(vm.host, vm.uuid)}/console.vv`)}
          >
            Download .vv file for remote-viewer
          </MenuItem>
        </>
      )}
    </Menu>
  );
}
