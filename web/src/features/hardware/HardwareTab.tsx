// The Hardware tab (admins): a VM's vCPUs and memory, disks, NICs, boot
// order, firmware, graphics, TPM, title and description, and its raw domain
// XML. Each change says where it applied (now, or at the next start) and
// shows what changed in the stored definition.

import { useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { toast } from 'sonner';
import type { VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { Button } from '../../ui';
import { poolsQuery } from '../storage/storageApi';
import { DiffView } from './DiffView';
import { useDomainXML, useHardware, useHardwareChange, whereApplied, type Hardware, type HardwareChange, type HardwareResult } from './hardwareApi';
import './hardware.css';

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface LastChange {
  what: string;
  result: HardwareResult;
}

function Panel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="panel hw-panel" aria-labelledby={id}>
      <h2 id={id} className="panel-title">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** "2 (now 1)": the stored value, and the running one when it differs. */
function LiveNote({ stored, live, unit = '' }: { stored: number | string; live: number | string | undefined; unit?: string }) {
  if (live === undefined || live === stored) return null;
  return (
    <span className="muted small">
      {' '}
      (running: {live}
      {unit})
    </span>
  );
}

export default function HardwareTab({ vm }: { vm: VM }) {
  const hw = useHardware(vm);
  const [last, setLast] = useState<LastChange | null>(null);
  const change = useHardwareChange(vm, (res, ch) => {
    setLast({ what: ch.what, result: res });
    toast.success(`${ch.what}: ${whereApplied(res)}`, { description: capitalize(res.message) });
  });
  const run = (ch: HardwareChange) => change.mutate(ch);
  if (hw.isPending) return <p className="muted">Loading the hardware…</p>;
  if (hw.isError) return <ErrorNote error={hw.error} />;
  const { stored, live, running } = hw.data;
  const busy = change.isPending;
  return (
    <div className="hardware">
      {running && (
        <p className="muted hw-note">
          The VM is running: changes apply at once where the VM can take them (vCPUs up to the maximum, memory, virtio disks, NICs, media,
          VNC password, title); the rest is saved for the next start, and each change says which.
        </p>
      )}
      {change.error && <ErrorNote error={change.error} />}
      {last && (
        <section className="panel hw-last" aria-label="Last change" role="status">
          <p>
            <strong>{last.what}</strong> — {whereApplied(last.result)}. {capitalize(last.result.message)}.
          </p>
          <details open>
            <summary>What changed in the stored definition</summary>
            <DiffView diff={last.result.changes} label="Changes to the domain XML" />
          </details>
        </section>
      )}
      <div className="hw-grid">
        <CPUMemory stored={stored} live={live} busy={busy} run={run} />
        <Disks vm={vm} stored={stored} busy={busy} run={run} />
        <NICs stored={stored} busy={busy} run={run} />
        <BootFirmware stored={stored} running={running} busy={busy} run={run} />
        <GraphicsTPM stored={stored} busy={busy} run={run} />
        <Info stored={stored} busy={busy} run={run} />
      </div>
      <RawXML vm={vm} busy={busy} run={run} result={last?.what === 'Domain XML' ? last.result : undefined} />
    </div>
  );
}

type Props = { stored: Hardware; busy: boolean; run: (ch: HardwareChange) => void };

function CPUMemory({ stored, live, busy, run }: Props & { live: Hardware | undefined }) {
  const id = useId();
  const [vcpus, setVcpus] = useState(String(stored.vcpus));
  const [maxVcpus, setMaxVcpus] = useState(String(stored.maxVcpus));
  const [mem, setMem] = useState(String(stored.memoryMiB));
  const [maxMem, setMaxMem] = useState(String(stored.maxMemoryMiB));
  return (
    <Panel id={`${id}-t`} title="vCPUs and memory">
      <form
        className="hw-form"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'PUT', path: '/cpu', body: { vcpus: Number(vcpus), maxVcpus: Number(maxVcpus) }, what: 'vCPUs' });
        }}
      >
        <label>
          vCPUs
          <input type="number" min={1} max={255} value={vcpus} onChange={(e) => setVcpus(e.target.value)} />
        </label>
        <label>
          at most
          <input type="number" min={1} max={255} value={maxVcpus} onChange={(e) => setMaxVcpus(e.target.value)} aria-label="Maximum vCPUs" />
        </label>
        <Button type="submit" size="sm" disabled={busy}>
          Set vCPUs
        </Button>
        <LiveNote stored={stored.vcpus} live={live?.vcpus} />
      </form>
      <form
        className="hw-form"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'PUT', path: '/memory', body: { memoryMiB: Number(mem), maxMemoryMiB: Number(maxMem) }, what: 'Memory' });
        }}
      >
        <label>
          Memory (MiB)
          <input type="number" min={64} value={mem} onChange={(e) => setMem(e.target.value)} />
        </label>
        <label>
          at most
          <input type="number" min={64} value={maxMem} onChange={(e) => setMaxMem(e.target.value)} aria-label="Maximum memory (MiB)" />
        </label>
        <Button type="submit" size="sm" disabled={busy}>
          Set memory
        </Button>
        <LiveNote stored={stored.memoryMiB} live={live?.memoryMiB} unit=" MiB" />
      </form>
    </Panel>
  );
}

function Disks({ vm, stored, busy, run }: Props & { vm: VM }) {
  const id = useId();
  const [adding, setAdding] = useState(false);
  const [pool, setPool] = useState('');
  const [size, setSize] = useState('10GiB');
  const [bus, setBus] = useState('virtio');
  const [grow, setGrow] = useState<Record<string, string>>({});
  const pools = useQuery({ ...poolsQuery(vm.host), enabled: adding });
  const running = (pools.data ?? []).filter((p) => p.state === 'running');
  const poolName = pool !== '' ? pool : (running[0]?.name ?? '');
  return (
    <Panel id={`${id}-t`} title="Disks">
      <table className="hw-table">
        <thead>
          <tr>
            <th>Target</th>
            <th>Bus</th>
            <th>Source</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {stored.disks.map((d) => (
            <tr key={d.target}>
              <td className="mono">
                {d.target}
                {d.device === 'cdrom' && <span className="muted"> (CD-ROM)</span>}
              </td>
              <td>{d.bus}</td>
              <td className="mono small">{d.source || <span className="muted">empty</span>}</td>
              <td>
                <div className="hw-actions">
                {d.device !== 'cdrom' && !d.readOnly && (
                  <form
                    className="hw-inline"
                    onSubmit={(e) => {
                      e.preventDefault();
                      run({ method: 'PUT', path: `/disks/${d.target}`, body: { size: grow[d.target] ?? '' }, what: `Disk ${d.target} grown` });
                    }}
                  >
                    <input
                      aria-label={`New size of ${d.target}`}
                      placeholder="new size"
                      size={7}
                      value={grow[d.target] ?? ''}
                      onChange={(e) => setGrow({ ...grow, [d.target]: e.target.value })}
                    />
                    <Button type="submit" size="sm" disabled={busy || !grow[d.target]}>
                      Grow
                    </Button>
                  </form>
                )}
                <Button
                  size="sm"
                  variant="danger-outline"
                  disabled={busy}
                  aria-label={`Remove ${d.target}`}
                  onClick={() => run({ method: 'DELETE', path: `/disks/${d.target}`, what: `Disk ${d.target} removed` })}
                >
                  Remove
                </Button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!adding ? (
        <Button size="sm" onClick={() => setAdding(true)}>
          Add disk…
        </Button>
      ) : (
        <form
          className="hw-form"
          onSubmit={(e) => {
            e.preventDefault();
            run({ method: 'POST', path: '/disks', body: { pool: poolName, size, bus }, what: 'Disk added' });
            setAdding(false);
          }}
        >
          <label>
            Pool
            <select value={poolName} onChange={(e) => setPool(e.target.value)}>
              {running.map((p) => (
                <option key={p.name}>{p.name}</option>
              ))}
            </select>
          </label>
          <label>
            Size
            <input value={size} onChange={(e) => setSize(e.target.value)} size={8} />
          </label>
          <label>
            Bus
            <select value={bus} onChange={(e) => setBus(e.target.value)}>
              <option>virtio</option>
              <option>scsi</option>
              <option>sata</option>
            </select>
          </label>
          <Button type="submit" size="sm" variant="primary" disabled={busy || !poolName}>
            Add
          </Button>
          <Button size="sm" onClick={() => setAdding(false)}>
            Cancel
          </Button>
        </form>
      )}
      <p className="muted small">Removing a disk keeps its volume. CD-ROM media are changed on the Overview tab.</p>
    </Panel>
  );
}

function NICs({ stored, busy, run }: Props) {
  const id = useId();
  const [network, setNetwork] = useState('default');
  const [model, setModel] = useState('virtio');
  return (
    <Panel id={`${id}-t`} title="Network interfaces">
      <table className="hw-table">
        <thead>
          <tr>
            <th>MAC</th>
            <th>On</th>
            <th>Model</th>
            <th>Link</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {stored.nics.map((n) => (
            <tr key={n.mac}>
              <td className="mono">{n.mac}</td>
              <td>{n.network ?? n.bridge ?? n.type}</td>
              <td>{n.model}</td>
              <td>{n.linkUp ? 'up' : 'down'}</td>
              <td>
                <div className="hw-actions">
                <Button
                  size="sm"
                  disabled={busy}
                  onClick={() => run({ method: 'PUT', path: `/nics/${n.mac}`, body: { linkUp: !n.linkUp }, what: `NIC ${n.mac} link ${n.linkUp ? 'down' : 'up'}` })}
                >
                  {n.linkUp ? 'Pull cable' : 'Plug cable'}
                </Button>
                <Button size="sm" variant="danger-outline" disabled={busy} aria-label={`Remove ${n.mac}`} onClick={() => run({ method: 'DELETE', path: `/nics/${n.mac}`, what: `NIC ${n.mac} removed` })}>
                  Remove
                </Button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="hw-form"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'POST', path: '/nics', body: { network, model }, what: 'NIC added' });
        }}
      >
        <label>
          Network
          <input value={network} onChange={(e) => setNetwork(e.target.value)} size={12} />
        </label>
        <label>
          Model
          <select value={model} onChange={(e) => setModel(e.target.value)}>
            <option>virtio</option>
            <option>e1000e</option>
            <option>e1000</option>
            <option>rtl8139</option>
          </select>
        </label>
        <Button type="submit" size="sm" disabled={busy}>
          Add NIC
        </Button>
      </form>
    </Panel>
  );
}

const BOOT_LABELS: Record<string, string> = { hd: 'Disk', cdrom: 'CD-ROM', network: 'Network (PXE)', fd: 'Floppy' };

function BootFirmware({ stored, running, busy, run }: Props & { running: boolean }) {
  const id = useId();
  const [order, setOrder] = useState<string[]>(stored.boot.length ? stored.boot : ['hd']);
  const [firmware, setFirmware] = useState(stored.firmware);
  const [secure, setSecure] = useState(stored.secureBoot);
  const toggle = (d: string) => setOrder(order.includes(d) ? order.filter((x) => x !== d) : [...order, d]);
  return (
    <Panel id={`${id}-t`} title="Boot and firmware">
      <form
        className="hw-form"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'PUT', path: '/boot', body: { order }, what: 'Boot order' });
        }}
      >
        <fieldset className="hw-boot">
          <legend>Boot from, in the order ticked</legend>
          {['hd', 'cdrom', 'network'].map((d) => (
            <label key={d}>
              <input type="checkbox" checked={order.includes(d)} onChange={() => toggle(d)} />
              {BOOT_LABELS[d]}
              {order.includes(d) && <span className="muted"> #{order.indexOf(d) + 1}</span>}
            </label>
          ))}
        </fieldset>
        <Button type="submit" size="sm" disabled={busy || order.length === 0}>
          Set boot order
        </Button>
        {stored.directKernel && <p className="muted small">This VM boots a kernel directly, which comes first.</p>}
      </form>
      <form
        className="hw-form"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'PUT', path: '/firmware', body: { firmware, secureBoot: firmware === 'efi' && secure }, what: 'Firmware' });
        }}
      >
        <label>
          Firmware
          <select value={firmware} onChange={(e) => setFirmware(e.target.value)} disabled={running}>
            <option value="bios">BIOS</option>
            <option value="efi">UEFI</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={secure} disabled={running || firmware !== 'efi'} onChange={(e) => setSecure(e.target.checked)} />
          Secure Boot
        </label>
        <Button type="submit" size="sm" disabled={busy || running}>
          Set firmware
        </Button>
        {running && <p className="muted small">The firmware can only be changed while the VM is shut off.</p>}
      </form>
    </Panel>
  );
}

function GraphicsTPM({ stored, busy, run }: Props) {
  const id = useId();
  const vnc = stored.graphics.find((g) => g.type === 'vnc');
  const [password, setPassword] = useState('');
  return (
    <Panel id={`${id}-t`} title="Graphics and TPM">
      <p>
        VNC: {vnc ? `on ${vnc.listen ?? 'the default address'}${vnc.password ? ', with a password' : ', no password'}` : 'none'}{' '}
        <Button size="sm" disabled={busy} onClick={() => run({ method: 'PUT', path: '/graphics', body: { vnc: !vnc }, what: vnc ? 'VNC removed' : 'VNC added' })}>
          {vnc ? 'Remove VNC' : 'Add VNC'}
        </Button>
      </p>
      {vnc && (
        <form
          className="hw-form"
          onSubmit={(e) => {
            e.preventDefault();
            run({ method: 'PUT', path: '/graphics', body: { password }, what: password ? 'VNC password set' : 'VNC password cleared' });
            setPassword('');
          }}
        >
          <label>
            VNC password
            <input type="password" maxLength={8} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
          </label>
          <Button type="submit" size="sm" disabled={busy}>
            {password ? 'Set password' : 'Clear password'}
          </Button>
        </form>
      )}
      <p>
        TPM: {stored.tpm ? `${stored.tpm.model}, ${stored.tpm.backend}${stored.tpm.version ? ` ${stored.tpm.version}` : ''}` : 'none'}{' '}
        <Button size="sm" disabled={busy} onClick={() => run({ method: 'PUT', path: '/tpm', body: { enabled: !stored.tpm }, what: stored.tpm ? 'TPM removed' : 'TPM added' })}>
          {stored.tpm ? 'Remove TPM' : 'Add TPM 2.0'}
        </Button>
      </p>
    </Panel>
  );
}

function Info({ stored, busy, run }: Props) {
  const id = useId();
  const [title, setTitle] = useState(stored.title);
  const [description, setDescription] = useState(stored.description);
  return (
    <Panel id={`${id}-t`} title="Title and description">
      <form
        className="hw-form hw-form-col"
        onSubmit={(e) => {
          e.preventDefault();
          run({ method: 'PUT', path: '/info', body: { title, description }, what: 'Title and description' });
        }}
      >
        <label>
          Title
          <input value={title} maxLength={256} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label>
          Description
          <textarea rows={3} value={description} maxLength={4096} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <Button type="submit" size="sm" disabled={busy}>
          Save
        </Button>
      </form>
    </Panel>
  );
}

function RawXML({ vm, busy, run, result }: { vm: VM; busy: boolean; run: (ch: HardwareChange) => void; result: HardwareResult | undefined }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const xml = useDomainXML(vm, open);
  return (
    <section className="panel hw-xml" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`} className="panel-title">
        Domain XML
      </h2>
      {!open ? (
        <Button size="sm" onClick={() => setOpen(true)}>
          Show the domain XML
        </Button>
      ) : xml.isPending ? (
        <p className="muted">Loading…</p>
      ) : xml.isError ? (
        <ErrorNote error={xml.error} />
      ) : editing === null ? (
        <>
          <pre className="hw-xml-view" aria-label="Stored domain XML" tabIndex={0}>
            {xml.data.stored}
          </pre>
          <Button size="sm" onClick={() => setEditing(xml.data.stored)}>
            Edit XML…
          </Button>
        </>
      ) : (
        <>
          <textarea className="hw-xml-edit" aria-label="Edited domain XML" value={editing} onChange={(e) => setEditing(e.target.value)} rows={24} spellCheck={false} />
          <div className="hw-actions">
            <Button size="sm" disabled={busy} onClick={() => run({ method: 'PUT', path: 'xml', body: { xml: editing, dryRun: true }, what: 'Domain XML' })}>
              Check and show the diff
            </Button>
            <Button
              size="sm"
              variant="primary"
              disabled={busy || result?.saved !== false || result.changes === ''}
              onClick={() => {
                run({ method: 'PUT', path: 'xml', body: { xml: editing }, what: 'Domain XML' });
                setEditing(null);
              }}
            >
              Save
            </Button>
            <Button size="sm" onClick={() => setEditing(null)}>
              Cancel
            </Button>
          </div>
          <p className="muted small">libvirt checks the edit on a throw-away copy first; Save is offered once the check showed the diff.</p>
        </>
      )}
    </section>
  );
}
