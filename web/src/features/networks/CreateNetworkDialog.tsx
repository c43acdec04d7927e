// Creating a virtual network: host, name, mode, subnet and DHCP range (a
// suggestion follows the subnet until the range is edited), static leases,
// started at once or not; or a network on an existing bridge of the host
// (its name only). The server checks everything again, overlaps with other networks
// included, and its message is shown as it comes.

import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useCreateNetwork } from '../../resources/network/mutations';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field, IconButton } from '../../ui';
import { type CreateNetworkRequest, type NetworkMode, type StaticLease, nameProblem, staticLeases, suggestRange } from './model';

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
    <Dialog open={open} onOpenChange={onOpenChange} wide noDescription>
      {open && <CreateForm hosts={hosts} onDone={() => onOpenChange(false)} />}
    </Dialog>
  );
}

function CreateForm({ hosts, onDone }: { hosts: readonly string[]; onDone: () => void }) {
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

  const create = useCreateNetwork({ onSuccess: onDone });

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (problem) return;
        if (onBridge) {
          create.mutate({ host, req: { name, mode, bridge: bridge.trim(), start } });
          return;
        }
        const req: CreateNetworkRequest = { name, mode, subnet: subnet.trim(), start };
        if (dhcp.start || dhcp.end) Object.assign(req, { dhcpStart: dhcp.start.trim(), dhcpEnd: dhcp.end.trim() });
        const hosts = staticLeases(leases);
        if (hosts.length > 0) req.hosts = hosts;
        create.mutate({ host, req });
      }}
    >
      <DialogHead>Create a network</DialogHead>
      <div className="dialog-body net-form">
        {hosts.length > 1 && (
          <Field label="Host" className="net-field">
            <select value={host} onChange={(e) => setHost(e.target.value)}>
              {hosts.map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Name" className="net-field" error={touched ? problem : null} hint="Letters, digits, '.', '_' or '-'.">
          <input name="name" type="text" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} onBlur={() => setTouched(true)} />
        </Field>
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
          <Field
            label="Host bridge"
            className="net-field"
            hint="The name of a bridge that exists on the host, e.g. br0. libvirt runs no DHCP on it: the bridge's own network gives the addresses."
          >
            <input name="bridge" className="mono" value={bridge} autoComplete="off" onChange={(e) => setBridge(e.target.value)} />
          </Field>
        )}
        {!onBridge && (
          <>
          <Field label="Subnet" className="net-field" hint="IPv4 in CIDR form, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16. The host takes the first address.">
            <input name="subnet" className="mono" value={subnet} onChange={(e) => setSubnet(e.target.value)} />
          </Field>
          <div className="net-range">
            <Field label="DHCP from" className="net-field">
              <input name="dhcpStart" className="mono" value={dhcp.start} onChange={(e) => setRange({ ...dhcp, start: e.target.value })} />
            </Field>
            <Field label="DHCP to" className="net-field">
              <input name="dhcpEnd" className="mono" value={dhcp.end} onChange={(e) => setRange({ ...dhcp, end: e.target.value })} />
            </Field>
          </div>
            <fieldset className="net-field">
              <legend className="field-label">Static leases</legend>
              <span className="muted small">A MAC address that always gets the same address (inside the subnet; outside the DHCP range is usual).</span>
              {leases.map((l, i) => (
                <div key={i} className="net-range" role="group" aria-label={`Static lease ${i + 1}`}>
                  <Field label="MAC" className="net-field">
                    <input name={`lease-mac-${i}`} className="mono" value={l.mac} placeholder="52:54:00:12:34:56" onChange={(e) => setLease(i, { mac: e.target.value })} />
                  </Field>
                  <Field label="Address" className="net-field">
                    <input name={`lease-ip-${i}`} className="mono" value={l.ip} onChange={(e) => setLease(i, { ip: e.target.value })} />
                  </Field>
                  <Field label="Host name (optional)" className="net-field">
                    <input name={`lease-name-${i}`} value={l.name ?? ''} onChange={(e) => setLease(i, { name: e.target.value })} />
                  </Field>
                  <IconButton label={`Remove static lease ${i + 1}`} onClick={() => setLeases((ls) => ls.filter((_, j) => j !== i))}>
                    <Trash2 size={16} aria-hidden />
                  </IconButton>
                </div>
              ))}
              <div>
                <Button onClick={() => setLeases((ls) => [...ls, { mac: '', ip: '', name: '' }])}>
                  <Plus size={16} aria-hidden /> Add static lease
                </Button>
              </div>
            </fieldset>
          </>
        )}
        <label className="net-radio">
          <input type="checkbox" name="start" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start it now
        </label>
        {create.error && <ErrorNote error={create.error} title="The network was not created" />}
      </div>
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending || !host}>
          {create.isPending ? 'Creating…' : 'Create network'}
        </Button>
      </DialogActions>
    </form>
  );
}
