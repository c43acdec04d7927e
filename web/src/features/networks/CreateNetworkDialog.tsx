// Creating a virtual network: host, name, mode, subnet and DHCP range (a
// suggestion follows the subnet until the range is edited), started at once
// or not. The server checks everything again, overlaps with other networks
// included, and its message is shown as it comes.

import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useCreateNetwork } from '../../resources/network/mutations';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { type CreateNetworkRequest, type NetworkMode, nameProblem, suggestRange } from './model';

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
        const req: CreateNetworkRequest = { name, mode, subnet: subnet.trim(), start };
        if (dhcp.start || dhcp.end) Object.assign(req, { dhcpStart: dhcp.start.trim(), dhcpEnd: dhcp.end.trim() });
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
            ] as const
          ).map(([value, label, note]) => (
            <label key={value} className="net-radio">
              <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} /> {label}{' '}
              <span className="muted small">({note})</span>
            </label>
          ))}
        </fieldset>
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
