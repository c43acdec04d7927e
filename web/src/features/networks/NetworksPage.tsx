// The Networks page (/networks): each host's libvirt virtual networks with
// their mode, bridge, subnet, DHCP range, state, autostart and attached VMs;
// create, start, stop and delete; a network's DHCP leases on demand.
// Networks send no events: the list is read when the page opens and again
// after each change, and leases when they are shown or refreshed.

import { useQuery } from '@tanstack/react-query';
import { Network as NetworkIcon, Plus, RefreshCw } from 'lucide-react';
import { Fragment, useState } from 'react';
import { toast } from 'sonner';
import { Link } from 'wouter';
import { useHosts } from '../../resources/host/queries';
import { useConfirm } from '../../components/ConfirmProvider';
import { ErrorNote } from '../../components/ErrorNote';
import { useTitle } from '../../components/useTitle';
import { vmHref } from '../../resources/vm/model';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { useNetworkAction } from '../../resources/network/mutations';
import { networkQuery, networksQuery } from '../../resources/network/queries';
import { addressSortValue, Button, DataTable, type DataColumn } from '../../ui';
import type { Lease, Network } from '../../resources/network/model';
import { CreateNetworkDialog } from './CreateNetworkDialog';
import { modeLabel } from './model';
import './networks.css';

export default function NetworksPage() {
  useTitle('Networks');
  const hosts = (useHosts().data ?? []).filter((h) => h.state === 'connected').map((h) => h.name);
  const { role } = useAccess();
  const [creating, setCreating] = useState(false);
  return (
    <div className="page-scroll">
      <div className="page networks-page">
        <div className="net-head">
          <h1>
            <NetworkIcon size={22} aria-hidden /> Networks
          </h1>
          {role === 'admin' && (
            <Button variant="primary" onClick={() => setCreating(true)} disabled={hosts.length === 0}>
              <Plus size={16} aria-hidden /> Create network
            </Button>
          )}
        </div>
        {hosts.length === 0 && <p className="muted">No host is connected.</p>}
        {hosts.map((h) => (
          <HostNetworks key={h} host={h} showHost={hosts.length > 1} />
        ))}
        <CreateNetworkDialog hosts={hosts} open={creating} onOpenChange={setCreating} />
      </div>
    </div>
  );
}

function HostNetworks({ host, showHost }: { host: string; showHost: boolean }) {
  const confirm = useConfirm();
  const { role } = useAccess();
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery(networksQuery(host));
  const act = useNetworkAction(host, {
    onSuccess: (_, { name, action }) => {
      toast.success(`Network ${name} ${action === 'delete' ? 'deleted' : action === 'start' ? 'started' : 'stopped'}.`);
    },
    onError: (err) => toastError(err),
  });
  const operator = role === 'admin' || role === 'operator';
  const ipv4 = (n: Network) => n.ips.find((r) => r.family === 'ipv4') ?? n.ips[0];
  const columns: DataColumn<Network>[] = [
    { id: 'name', header: 'Name', rowHeader: true, cell: (n) => n.name, sortValue: (n) => n.name },
    {
      id: 'state',
      header: 'State',
      cell: (n) => (
        <span className={`state state-${n.active ? 'ok' : 'off'}`}>
          <span className="state-dot" aria-hidden />
          {n.active ? 'Active' : 'Inactive'}
        </span>
      ),
      sortValue: (n) => (n.active ? 0 : 1),
    },
    { id: 'mode', header: 'Mode', cell: (n) => modeLabel(n.forward), sortValue: (n) => modeLabel(n.forward) },
    { id: 'bridge', header: 'Bridge', className: 'mono', cell: (n) => n.bridge ?? '—', sortValue: (n) => n.bridge },
    { id: 'subnet', header: 'Subnet', className: 'mono', cell: (n) => ipv4(n)?.subnet ?? '—', sortValue: (n) => addressSortValue(ipv4(n)?.subnet?.split('/')[0] ?? '') },
    {
      id: 'dhcp',
      header: 'DHCP range',
      className: 'mono',
      cell: (n) => {
        const ip = ipv4(n);
        return ip?.dhcpStart ? `${ip.dhcpStart} – ${ip.dhcpEnd ?? ''}` : <span className="muted">no DHCP</span>;
      },
      sortValue: (n) => addressSortValue(ipv4(n)?.dhcpStart ?? ''),
    },
    {
      id: 'vms',
      header: 'VMs',
      cell: (n) =>
        n.vms.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          n.vms.map((v, i) => (
            <Fragment key={v.uuid}>
              {i > 0 && ', '}
              <Link href={vmHref(host, v.uuid)}>{v.name}</Link>
            </Fragment>
          ))
        ),
      sortValue: (n) => n.vms.length,
    },
    { id: 'autostart', header: 'Autostart', cell: (n) => (n.autostart ? 'Yes' : 'No'), sortValue: (n) => (n.autostart ? 0 : 1) },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      className: 'net-actions',
      cell: (n) => (
        <>
          <Button size="sm" aria-expanded={open === n.name} onClick={() => setOpen(open === n.name ? null : n.name)}>
            Leases
          </Button>
          {operator &&
            (n.active ? (
              <Button
                size="sm"
                disabled={act.isPending}
                onClick={async () => {
                  const ok = await confirm({
                    title: `Stop ${n.name}?`,
                    body: 'Its bridge and DHCP server go away; VMs on it lose their network until it starts again.',
                    confirmLabel: 'Stop',
                  });
                  if (ok) act.mutate({ name: n.name, action: 'stop' });
                }}
              >
                Stop
              </Button>
            ) : (
              <Button size="sm" disabled={act.isPending} onClick={() => act.mutate({ name: n.name, action: 'start' })}>
                Start
              </Button>
            ))}
          {role === 'admin' && (
            <Button
              size="sm"
              variant="danger-outline"
              disabled={act.isPending}
              onClick={async () => {
                const ok = await confirm({
                  title: `Delete ${n.name}?`,
                  body: 'The network is stopped and its definition removed. VMs that name it will not start until it exists again.',
                  confirmLabel: 'Delete',
                  danger: true,
                });
                if (ok) act.mutate({ name: n.name, action: 'delete' });
              }}
            >
              Delete
            </Button>
          )}
        </>
      ),
    },
  ];

  return (
    <section className="panel net-host" aria-label={showHost ? `Networks of ${host}` : 'Networks'}>
      {showHost && <h2 className="panel-title">{host}</h2>}
      {list.error && <ErrorNote error={list.error} title="The networks could not be read" onRetry={() => void list.refetch()} />}
      {list.data?.length === 0 && <p className="muted">This host has no virtual networks.</p>}
      {list.data && list.data.length > 0 && (
        <DataTable
          name="networks"
          label={showHost ? `Networks of ${host}` : 'Networks'}
          className="net-table"
          columns={columns}
          data={list.data}
          rowKey={(n) => n.uuid}
          defaultSort={{ id: 'name' }}
          rowProps={(n) => ({ 'data-network': n.name })}
          after={(n, colSpan) =>
            open === n.name && (
              <tr className="net-leases-row">
                <td colSpan={colSpan}>
                  <Leases host={host} name={n.name} />
                </td>
              </tr>
            )
          }
        />
      )}
    </section>
  );
}

/** The columns of a network's DHCP leases. */
function leaseColumns(host: string): DataColumn<Lease>[] {
  return [
    {
      id: 'ip',
      header: 'Address',
      className: 'mono',
      cell: (l) => `${l.ip}/${l.prefix}`,
      sortValue: (l) => addressSortValue(l.ip),
    },
    { id: 'mac', header: 'MAC', className: 'mono', cell: (l) => l.mac, sortValue: (l) => l.mac },
    { id: 'hostname', header: 'Hostname', cell: (l) => l.hostname ?? <span className="muted">—</span>, sortValue: (l) => l.hostname },
    {
      id: 'vm',
      header: 'VM',
      cell: (l) => (l.vm ? <Link href={vmHref(host, l.vm.uuid)}>{l.vm.name}</Link> : <span className="muted">unknown</span>),
      sortValue: (l) => l.vm?.name,
    },
  ];
}

function Leases({ host, name }: { host: string; name: string }) {
  const q = useQuery(networkQuery(host, name));
  const leases = q.data?.leases ?? [];
  const fixed = (q.data?.ips ?? []).flatMap((r) => r.hosts ?? []);
  return (
    <div className="net-leases" aria-label={`DHCP leases of ${name}`} role="region">
      {fixed.length > 0 && (
        <>
          <strong>Static leases</strong>
          <table className="data-table" aria-label={`Static leases of ${name}`}>
            <thead>
              <tr>
                <th scope="col">MAC</th>
                <th scope="col">Address</th>
                <th scope="col">Host name</th>
              </tr>
            </thead>
            <tbody>
              {fixed.map((h) => (
                <tr key={h.mac}>
                  <td className="mono">{h.mac}</td>
                  <td className="mono">{h.ip}</td>
                  <td>{h.name ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <div className="net-leases-head">
        <strong>DHCP leases</strong>
        <Button size="sm" variant="ghost" onClick={() => void q.refetch()} disabled={q.isFetching}>
          <RefreshCw size={14} aria-hidden /> Refresh
        </Button>
      </div>
      {q.error && <ErrorNote error={q.error} />}
      {q.data && !q.data.active && <p className="muted">The network is not running: it hands out no leases.</p>}
      {q.data?.active && leases.length === 0 && <p className="muted">No leases yet.</p>}
      {leases.length > 0 && (
        <DataTable
          name="leases"
          label={`DHCP leases of ${name}`}
          columns={leaseColumns(host)}
          data={leases}
          rowKey={(l) => `${l.mac}-${l.ip}`}
          defaultSort={{ id: 'ip' }}
        />
      )}
    </div>
  );
}
