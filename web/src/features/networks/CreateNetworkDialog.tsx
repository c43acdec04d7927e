// Creating a virtual network: host, name, mode, subnet and DHCP range (a
// suggestion follows the subnet until the range is edited), static leases,
// started at once or not; or a network on an existing bridge of the host
// (its name only). The server checks everything again, overlaps with other networks
// included, and its message is shown as it comes.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { Plus, Trash2, X } from 'lucide-react';
import { useId, useState } from 'react';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { type CreateNetworkRequest, type Network, type NetworkMode, type StaticLease, nameProblem, networksKey, networksPath, staticLeases, suggestRange } from './model';

export function CreateNetworkDialog({
  hosts,
  open,
  onOpenChange,
}: {
  hosts: readonly string[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog dialog-wide" aria-describedby={undefined}>
          {open && <CreateForm hosts={hosts} onDone={() => onOpenChange(false)} />}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function CreateForm({ hosts, onDone }: { hosts: readonly string[]; onDone: () => void }) {
  const id = useId();
  const qc = useQueryClient();
  const [host, setHost] = useState(hosts[0] ?? '');
  const [name, setName] = useState('');
  const [mode, setMode] = useState<NetworkMode>('nat');
  const [subnet, setSubnet] = useState('192.168.150.0/24');
  const [range, setRange] = useState<{ start: string; end: string } | null>(null);
  const [start, setStart] = useState(true);
  const [bridge, setBridge] = useState('');
  const [leases, setLeases] = useState<StaticLease[]>([]);
  const setLease = (i: number, patch: Partial<StaticLease>) => setLeases((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const onBridge = mode === 'bridge';
  const suggested = suggestRange(subnet);
  const dhcp = range ?? suggested ?? { start: '', end: '' };
  const problem = nameProblem(name);
  const [touched, setTouched] = useState(false);

  const create = useMutation({
    mutationFn: (req: CreateNetworkRequest) => api<Network>(networksPath(host), { method: 'POST', body: req }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: networksKey(host) });
      onDone();
    },
  });

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (problem) return;
        if (onBridge) {
          create.mutate({ name, mode, bridge: bridge.trim(), start });
          return;
        }
        const req: CreateNetworkRequest = { name, mode, subnet: subnet.trim(), start };
        if (dhcp.start || dhcp.end) Object.assign(req, { dhcpStart: dhcp.start.trim(), dhcpEnd: dhcp.end.trim() });
        const hosts = staticLeases(leases);
        if (hosts.length > 0) req.hosts = hosts;
        create.mutate(req);
      }}
    >
      <div className="dialog-head">
        <Dialog.Title className="dialog-title">Create a network</Dialog.Title>
        <Dialog.Close asChild>
          <button type="button" className="icon-btn" aria-label="Close">
            <X size={18} aria-hidden />
          </button>
        </Dialog.Close>
      </div>
      <div className="dialog-body net-form">
        {hosts.length > 1 && (
          <label className="net-field">
            <span className="field-label">Host</span>
            <select value={host} onChange={(e) => setHost(e.target.value)}>
              {hosts.map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </label>
        )}
        <label className="net-field">
          <span className="field-label">Name</span>
          <input
            name="name"
            value={name}
            autoComplete="off"
            aria-invalid={touched && problem ? true : undefined}
            aria-describedby={`${id}-name-note`}
            onChange={(e) => setName(e.target.value)}
            onBlur={() => setTouched(true)}
          />
          <span id={`${id}-name-note`} className={touched && problem ? 'field-error' : 'muted small'}>
            {touched && problem ? problem : "Letters, digits, '.', '_' or '-'."}
          </span>
        </label>
        <fieldset className="net-field">
          <legend className="field-label">Mode</legend>
          {(
            [
              ['nat', 'NAT', 'guests reach other networks through the host'],
              ['isolated', 'Isolated', 'guests reach only the host and each other'],
              ['route', 'Routed', 'forwarded without NAT; the LAN needs a route back'],
              ['bridge', 'Host bridge', "guests join an existing bridge of the host and its network's addresses"],
            ] as const
          ).map(([value, label, note]) => (
            <label key={value} className="net-radio">
              <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} /> {label}{' '}
              <span className="muted small">({note})</span>
            </label>
          ))}
        </fieldset>
        {onBridge && (
          <label className="net-field">
            <span className="field-label">Host bridge</span>
            <input name="bridge" className="mono" value={bridge} autoComplete="off" onChange={(e) => setBridge(e.target.value)} />
            <span className="muted small">The name of a bridge that exists on the host, e.g. br0. libvirt runs no DHCP on it: the bridge&apos;s own network gives the addresses.</span>
          </label>
        )}
        {!onBridge && (
        <>
        <label className="net-field">
          <span className="field-label">Subnet</span>
          <input name="subnet" className="mono" value={subnet} onChange={(e) => setSubnet(e.target.value)} />
          <span className="muted small">IPv4 in CIDR form, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16. The host takes the first address.</span>
        </label>
        <div className="net-range">
          <label className="net-field">
            <span className="field-label">DHCP from</span>
            <input name="dhcpStart" className="mono" value={dhcp.start} onChange={(e) => setRange({ ...dhcp, start: e.target.value })} />
          </label>
          <label className="net-field">
            <span className="field-label">DHCP to</span>
            <input name="dhcpEnd" className="mono" value={dhcp.end} onChange={(e) => setRange({ ...dhcp, end: e.target.value })} />
          </label>
        </div>
        <fieldset className="net-field">
          <legend className="field-label">Static leases</legend>
          <span className="muted small">A MAC address that always gets the same address (inside the subnet; outside the DHCP range is usual).</span>
          {leases.map((l, i) => (
            <div key={i} className="net-range" role="group" aria-label={`Static lease ${i + 1}`}>
              <label className="net-field">
                <span className="field-label">MAC</span>
                <input name={`lease-mac-${i}`} className="mono" value={l.mac} placeholder="52:54:00:12:34:56" onChange={(e) => setLease(i, { mac: e.target.value })} />
              </label>
              <label className="net-field">
                <span className="field-label">Address</span>
                <input name={`lease-ip-${i}`} className="mono" value={l.ip} onChange={(e) => setLease(i, { ip: e.target.value })} />
              </label>
              <label className="net-field">
                <span className="field-label">Host name (optional)</span>
                <input name={`lease-name-${i}`} value={l.name ?? ''} onChange={(e) => setLease(i, { name: e.target.value })} />
              </label>
              <button type="button" className="icon-btn" aria-label={`Remove static lease ${i + 1}`} onClick={() => setLeases((ls) => ls.filter((_, j) => j !== i))}>
                <Trash2 size={16} aria-hidden />
              </button>
            </div>
          ))}
          <div>
            <button type="button" className="btn" onClick={() => setLeases((ls) => [...ls, { mac: '', ip: '', name: '' }])}>
              <Plus size={16} aria-hidden /> Add static lease
            </button>
          </div>
        </fieldset>
        </>
        )}
        <label className="net-radio">
          <input type="checkbox" name="start" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start it now
        </label>
        {create.error && <ErrorNote error={create.error} title="The network was not created" />}
      </div>
      <div className="dialog-actions">
        <Dialog.Close asChild>
          <button type="button" className="btn">
            Cancel
          </button>
        </Dialog.Close>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !host}>
          {create.isPending ? 'Creating…' : 'Create network'}
        </button>
      </div>
    </form>
  );
}
