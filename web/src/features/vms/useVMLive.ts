// A VM's live figures for a dashboard row or card: its stats series, the
// graph window, and the latest CPU and memory (the VM's own sample until
// the series has one). Shared by the card grid and the table.

import type { VM } from '../../api/types';
import { useStore } from '../../lib/store';
import { isActive, vmKey } from '../../resources/vm/model';
import { settingsStore } from '../settings/settings';
import { useHistory, useSeries } from './useSeries';

const selectWindow = (s: { graphWindowMinutes: number }) => s.graphWindowMinutes * 60_000;

export function useVMLive(vm: VM) {
  const key = vmKey(vm.host, vm.uuid);
  const active = isActive(vm.state);
  const series = useSeries(key);
  const windowMs = useStore(settingsStore, selectWindow);
  useHistory(vm.host, vm.uuid, active);
  const last = series[series.length - 1];
  const cpu = active ? (last?.cpu ?? vm.stats?.cpuPercent) : undefined;
  const mem = active ? (last?.mem ?? vm.stats?.memoryUsedKiB) : undefined;
  return { series, windowMs, cpu, mem, active };
}
