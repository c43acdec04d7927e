// Creating a virtual network: host, name, mode, subnet and DHCP range (a
// suggestion follows the subnet until the range is edited), started at once
// or not. The server checks everything again, overlaps with other networks
// included, and its message is shown as it comes.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { X } from 'lucide-react';
import { useId, useState } from 'react';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { type CreateNetworkRequest, type Network, type NetworkMode, nameProblem, networksKey, networksPath, suggestRange } from './model';

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
        const req: CreateNetworkRequest = { name, mode, subnet: subnet.trim(), start };
        if (dhcp.start || dhcp.end) Object.assign(req, { dhcpStart: dhcp.start.trim(), dhcpEnd: dhcp.end.trim() });
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
            ] as const
          ).map(([value, label, note]) => (
            <label key={value} className="net-radio">
              <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} /> {label}{' '}
              <span className="muted small">({note})</span>
            </label>
          ))}
        </fieldset>
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
