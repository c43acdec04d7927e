// The Overview tab: the VM's configuration and its live graphs.

import { Switch } from 'radix-ui';
import { toast } from 'sonner';
import { PathText } from '../../components/PathText';
import type { Host, VM } from '../../api/types';
import { formatBytes, formatDateTime, formatKiB, formatVCPUs } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';
import { useSetAutostart } from '../../resources/vm/mutations';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { LiveGraphs } from './LiveGraphs';
import { GuestFacts } from '../networks/GuestFacts';
import { CdromDrives } from '../storage/CdromDrives';

const FIRMWARE: Record<string, string> = {
  bios: 'BIOS',
  efi: 'UEFI',
  'direct-kernel': 'Direct kernel boot',
};

function AutostartSwitch({ vm, disabled }: { vm: VM; disabled: boolean }) {
  const m = useSetAutostart(vm, {
    onSuccess: (res) => {
      toast.success(res.autostart ? `${vm.name} will start with the host` : `${vm.name} will not start with the host`);
    },
    onError: (e) => toastError(e),
  });
  const checked = m.isPending ? m.variables : vm.autostart;
  return (
    <span className="switch-field">
      <Switch.Root
        className="switch"
        checked={checked}
        disabled={disabled || m.isPending || !vm.persistent}
        onCheckedChange={(v) => m.mutate(v)}
        aria-label="Start with the host"
      >
        <Switch.Thumb className="switch-thumb" />
      </Switch.Root>
      <span aria-hidden="true">{checked ? 'Yes' : 'No'}</span>
    </span>
  );
}

export function Overview({ vm, host }: { vm: VM; host: Host | undefined }) {
  const hostDown = host !== undefined && host.state !== 'connected';
  const disks = vm.disks ?? [];
  const nics = vm.nics ?? [];
  const graphics = vm.graphics ?? [];
  // Autostart is part of the VM's definition: admins only.
  const canEdit = useAccess().can('vm.edit');
  return (
    <div className="overview">
      <section className="panel" aria-labelledby="ov-graphs">
        <h2 id="ov-graphs" className="panel-title">
          Activity
        </h2>
        <LiveGraphs vm={vm} />
      </section>

      <div className="overview-cols">
        <section className="panel" aria-labelledby="ov-general">
          <h2 id="ov-general" className="panel-title">
            Configuration
          </h2>
          <dl className="kv kv-wide">
            <dt>State</dt>
            <dd>
              {stateLabel(vm.state)}
              {vm.reason ? <span className="muted"> ({vm.reason})</span> : null}
            </dd>
            <dt>CPUs</dt>
            <dd>{formatVCPUs(vm.vcpus)}</dd>
            <dt>Memory</dt>
            <dd>
              {formatKiB(vm.memoryKiB)}
              {vm.memoryMaxKiB !== vm.memoryKiB && <span className="muted"> (up to {formatKiB(vm.memoryMaxKiB)})</span>}
            </dd>
            <dt>Firmware</dt>
            <dd>{FIRMWARE[vm.firmware] ?? vm.firmware}</dd>
            <dt>Virtualization</dt>
            <dd>{vm.domainType === 'kvm' ? 'KVM (hardware)' : vm.domainType === 'qemu' ? 'QEMU TCG (emulated, slower)' : vm.domainType}</dd>
            <dt>Machine</dt>
            <dd>
              {vm.arch ?? '—'}
              {vm.machine ? ` · ${vm.machine}` : ''}
            </dd>
            <dt>Autostart</dt>
            <dd>
              {canEdit ? (
                <AutostartSwitch vm={vm} disabled={hostDown} />
              ) : (
                <>
                  {vm.autostart ? 'Yes' : 'No'}
                  {vm.persistent && <span className="muted small"> (an admin can change this)</span>}
                </>
              )}
              {!vm.persistent && <span className="muted small"> (a transient VM cannot autostart)</span>}
            </dd>
            <dt>Persistent</dt>
            <dd>{vm.persistent ? 'Yes' : 'No (transient: gone once it stops)'}</dd>
            <dt>Serial console</dt>
            <dd>{vm.serialConsole ? 'Yes' : 'No'}</dd>
            <dt>Host</dt>
            <dd>
              {vm.host}
              {host?.hostname ? <span className="muted"> ({host.hostname})</span> : null}
            </dd>
            <dt>UUID</dt>
            <dd className="mono">{vm.uuid}</dd>
            <GuestFacts vm={vm} />
            {vm.description && (
              <>
                <dt>Description</dt>
                <dd>{vm.description}</dd>
              </>
            )}
            <dt>Updated</dt>
            <dd>{formatDateTime(vm.updated)}</dd>
          </dl>
        </section>

        <div className="overview-side">
          <section className="panel" aria-labelledby="ov-disks">
            <h2 id="ov-disks" className="panel-title">
              Disks
            </h2>
            {disks.length === 0 ? (
              <p className="muted">No disks.</p>
            ) : (
              <div className="table-wrap">
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Target</th>
                      <th scope="col">Device</th>
                      <th scope="col">Format</th>
                      <th scope="col" className="num">
                        Size
                      </th>
                      <th scope="col" className="num">
                        Used on host
                      </th>
                      <th scope="col">Source</th>
                    </tr>
                  </thead>
                  <tbody>
                    {disks.map((d) => (
                      <tr key={d.target}>
                        <td className="mono">{d.target}</td>
                        <td>
                          {d.device}
                          {d.bus ? <span className="muted"> · {d.bus}</span> : null}
                          {d.readOnly ? <span className="badge badge-plain">read-only</span> : null}
                          {d.shareable ? <span className="badge badge-plain">shared</span> : null}
                        </td>
                        <td>{d.format ?? d.type}</td>
                        <td className="num">{formatBytes(d.capacityBytes)}</td>
                        <td className="num">{formatBytes(d.allocationBytes)}</td>
                        <td className="mono path" title={d.source}>
                          {d.source ? <PathText path={d.source} /> : <span className="muted">(empty)</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <CdromDrives vm={vm} />

          <section className="panel" aria-labelledby="ov-nics">
            <h2 id="ov-nics" className="panel-title">
              Network interfaces
            </h2>
            {nics.length === 0 ? (
              <p className="muted">No network interfaces.</p>
            ) : (
              <div className="table-wrap">
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Type</th>
                      <th scope="col">Source</th>
                      <th scope="col">MAC</th>
                      <th scope="col">Model</th>
                      <th scope="col">Host device</th>
                    </tr>
                  </thead>
                  <tbody>
                    {nics.map((n, i) => (
                      <tr key={n.mac ?? i}>
                        <td>{n.type}</td>
                        <td>{n.source ?? '—'}</td>
                        <td className="mono">{n.mac ?? '—'}</td>
                        <td>{n.model ?? '—'}</td>
                        <td className="mono">{n.target ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="panel" aria-labelledby="ov-gfx">
            <h2 id="ov-gfx" className="panel-title">
              Graphics
            </h2>
            {graphics.length === 0 ? (
              <p className="muted">No graphical console.</p>
            ) : (
              <dl className="kv">
                {graphics.map((g, i) => (
                  <div key={i} className="kv-group">
                    <dt>{g.type.toUpperCase()}</dt>
                    <dd>
                      {g.socket ? (
                        <span className="mono">{g.socket}</span>
                      ) : (
                        <span className="mono">
                          {g.listen ?? '—'}
                          {g.port && g.port > 0 ? `:${g.port}` : ''}
                        </span>
                      )}
                      {g.autoport && <span className="muted"> · port chosen at start</span>}
                      <span className="muted"> · {g.password ? 'password set' : 'no password'}</span>
                    </dd>
                  </div>
                ))}
              </dl>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}
