// The Hosts page (/hosts): every libvirt host with its state, libvirt
// version and SSH key; for admins, add, test, edit and remove the hosts
// added here, and approve a host's SSH key after comparing fingerprints
// (both the old and the new one when it changed). Hosts from the server's
// flags or config file are listed as such and cannot be changed here.

import { useQueryClient } from '@tanstack/react-query';
import { KeyRound, Pencil, Plus, Trash2 } from 'lucide-react';
import { useMemo, useState } from 'react';
import { toast } from 'sonner';
import { refreshHosts, useRemoveHost, useTrustHost } from '../../resources/host/mutations';
import { useHosts } from '../../resources/host/queries';
import { useVMs } from '../../resources/vm/queries';
import type { Host } from '../../api/types';
import { useConfirm } from '../../components/ConfirmProvider';
import { ErrorNote } from '../../components/ErrorNote';
import { useTitle } from '../../components/useTitle';
import { formatBytes, plural } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { Button, DataTable, type DataColumn } from '../../ui';
import { HostForm } from './HostForm';
import { needsApproval, sortHosts, STATE_TEXT, vmCounts } from './hosts';
import '../security/pages.css';
import './hosts.css';

type Editing = { mode: 'add' } | { mode: 'edit'; host: Host } | null;

function KeyLines({ label, keys }: { label: string; keys: string[] }) {
  return (
    <div className="host-key-lines">
      <span className="field-label">{label}</span>
      {keys.map((k) => (
        <code key={k} className="mono host-fp">
          {k}
        </code>
      ))}
    </div>
  );
}

export default function HostsPage() {
  useTitle('Hosts');
  const qc = useQueryClient();
  const { can } = useAccess();
  const admin = can('hosts.manage');
  const confirm = useConfirm();
  const hostsQ = useHosts();
  const vms = useVMs().data;
  const [editing, setEditing] = useState<Editing>(null);

  // Counted from the live VM list (kept current by events), so that the
  // counts follow every state change; the server's own counts (host.vms)
  // stand in until that list has loaded.
  const byState = useMemo(() => {
    const m = new Map<string, Record<string, number>>();
    for (const v of vms ?? []) {
      const c = m.get(v.host) ?? {};
      c[v.state] = (c[v.state] ?? 0) + 1;
      m.set(v.host, c);
    }
    return m;
  }, [vms]);
  const countsOf = (h: Host) => (vms ? (byState.get(h.name) ?? {}) : (h.vms ?? {}));
  const total = (h: Host) => Object.values(countsOf(h)).reduce((a, b) => a + b, 0);
  const hosts = sortHosts(hostsQ.data ?? []);
  const remove = useRemoveHost({
    onSuccess: (_, h) => toast.success(`Host ${h.name} was removed`),
    onError: (err) => toastError(err, 'The host was not removed'),
  });
  const trust = useTrustHost({
    onSuccess: (_, { host }) => toast.success(`The key of ${host.name} is approved; connecting`),
    onError: (err) => toastError(err, 'The key was not approved'),
  });

  const askRemove = async (h: Host) => {
    const n = total(h);
    const ok = await confirm({
      title: `Remove host ${h.name}?`,
      body: (
        <p>
          KVM Manager stops managing it: its consoles close and {plural(n, 'VM')} leave the dashboard. Nothing on the host changes, and you can add it
          again later.
        </p>
      ),
      confirmLabel: 'Remove host',
      danger: true,
    });
    if (ok) remove.mutate(h);
  };
  const askTrust = async (h: Host) => {
    const key = h.hostKey;
    if (!key) return;
    const changed = h.state === 'host_key_changed';
    const ok = await confirm({
      title: changed ? `Approve the new key of ${h.name}?` : `Approve the key of ${h.name}?`,
      body: (
        <div className="host-trust">
          <p>
            {changed
              ? 'This host now presents a different SSH key. That happens when a host is reinstalled, and also when someone is in the way. Approve it only after checking the new fingerprint on the host itself:'
              : 'Check this fingerprint on the host itself before approving it:'}{' '}
            <code>ssh-keygen -lf /etc/ssh/ssh_host_{key.type.replace(/^ssh-|^ecdsa-sha2-.*/, '') || 'ecdsa'}_key.pub</code>
          </p>
          {changed && key.known && key.known.length > 0 && <KeyLines label="Approved before" keys={key.known} />}
          <KeyLines label={changed ? `New key (${key.type})` : `Key (${key.type})`} keys={[key.fingerprint]} />
        </div>
      ),
      confirmLabel: changed ? 'Approve new key' : 'Approve key',
      danger: changed,
    });
    if (ok) trust.mutate({ host: h, key });
  };

  const hostColumns: DataColumn<Host>[] = [
    {
      id: 'host',
      header: 'Host',
      hideable: false,
      cell: (h) => (
        <>
          <strong>{h.name}</strong>{' '}
          <span className="badge badge-plain" title={h.source === 'api' ? 'Added on this page or through the API' : 'From the server’s flags or config file'}>
            {h.source === 'api' ? 'added here' : 'configured'}
          </span>
          <div className="mono muted host-uri">{h.uri}</div>
        </>
      ),
      sortValue: (h) => h.name,
    },
    {
      id: 'state',
      header: 'State',
      cell: (h) => (
        <>
          <span className={`host-state host-${h.state}`} data-testid="host-state">
            {STATE_TEXT[h.state]}
          </span>
          {h.error && h.state !== 'connected' && <div className="host-error">{h.error}</div>}
        </>
      ),
      sortValue: (h) => STATE_TEXT[h.state],
    },
    {
      id: 'software',
      header: 'Software',
      testId: 'host-software',
      cell: (h) => (
        <>
          {h.libvirtVersion ? `libvirt ${h.libvirtVersion}` : '—'}
          {h.node?.qemuVersion && <div>QEMU {h.node.qemuVersion}</div>}
          {h.hostname && <div className="muted">{h.hostname}</div>}
        </>
      ),
      sortValue: (h) => h.libvirtVersion,
    },
    {
      id: 'machine',
      header: 'Machine',
      testId: 'host-machine',
      cell: (h) => (
        <>
          {h.node ? (
            <>
              <div>
                {plural(h.node.cpus, 'CPU')}
                {h.node.cpuModel && <span className="muted"> · {h.node.cpuModel}</span>}
              </div>
              <div title={`read ${new Date(h.node.readAt).toLocaleTimeString()}`}>
                {formatBytes(h.node.memoryFreeBytes)} free of {formatBytes(h.node.memoryBytes)}
              </div>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </>
      ),
      sortValue: (h) => h.node?.memoryBytes,
    },
    {
      id: 'key',
      header: 'SSH key',
      cell: (h) => {
        const key = h.hostKey ?? h.sshKey;
        return (
          <>
            {key ? (
              <>
                <code className="mono host-fp">{key.fingerprint}</code>
                <div className="muted">
                  {key.type}
                  {h.hostKey ? ' · not approved' : ''}
                </div>
              </>
            ) : (
              <span className="muted">—</span>
            )}
          </>
        );
      },
      sortValue: (h) => (h.hostKey ?? h.sshKey)?.fingerprint,
    },
    {
      id: 'vms',
      header: 'VMs',
      testId: 'host-vms',
      cell: (h) => (
        <>
          {vmCounts(countsOf(h)).length === 0
            ? 0
            : vmCounts(countsOf(h)).map(([st, n]) => (
                <div key={st}>
                  {n} {stateLabel(st).toLowerCase()}
                </div>
              ))}
        </>
      ),
      sortValue: total,
    },
  ];
  if (admin) {
    hostColumns.push({
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      className: 'sec-actions host-actions',
      cell: (h) => (
        <>
            {needsApproval(h) && (
              <Button size="sm" variant="primary" disabled={trust.isPending} onClick={() => void askTrust(h)}>
                <KeyRound size={14} aria-hidden /> {h.state === 'host_key_changed' ? 'Review new key' : 'Approve key'}
              </Button>
            )}
            {h.source === 'api' && (
              <>
                <Button size="sm" onClick={() => setEditing({ mode: 'edit', host: h })} aria-label={`Edit ${h.name}`}>
                  <Pencil size={14} aria-hidden /> Edit
                </Button>
                <Button size="sm" variant="danger-outline" disabled={remove.isPending} onClick={() => void askRemove(h)} aria-label={`Remove ${h.name}`}>
                  <Trash2 size={14} aria-hidden /> Remove
                </Button>
              </>
            )}
        </>
      ),
    });
  }

  return (
    <div className="page-scroll">
      <div className="page sec-page hosts-page">
        <div className="sec-head">
          <div>
            <h1>Hosts</h1>
            <p className="muted">The libvirt hosts KVM Manager manages, each over one connection (a local socket, SSH or TLS).</p>
          </div>
          {admin && !editing && (
            <Button variant="primary" onClick={() => setEditing({ mode: 'add' })}>
              <Plus size={16} aria-hidden /> Add host
            </Button>
          )}
        </div>

        {editing && (
          <section className="sec-panel">
            <HostForm
              key={editing.mode === 'edit' ? editing.host.name : 'add'}
              host={editing.mode === 'edit' ? editing.host : undefined}
              taken={hosts.map((h) => h.name)}
              onCancel={() => setEditing(null)}
              onSaved={(h) => {
                toast.success(editing.mode === 'edit' ? `Host ${h.name} was changed` : `Host ${h.name} was added`);
                setEditing(null);
                refreshHosts(qc);
              }}
            />
          </section>
        )}

        {hostsQ.isPending ? (
          <p className="muted" role="status">
            Loading hosts…
          </p>
        ) : hostsQ.isError ? (
          <ErrorNote error={hostsQ.error} title="The hosts cannot be read" onRetry={() => void hostsQ.refetch()} />
        ) : (
          <section className="sec-panel" aria-labelledby="hosts-title">
            <h2 id="hosts-title" className="sec-panel-title">
              {plural(hosts.length, 'host')}
            </h2>
            <DataTable
              name="hosts"
              label="Hosts"
              className="hosts-table"
              wrapProps={{ role: 'region', 'aria-labelledby': 'hosts-title', tabIndex: 0 }}
              columns={hostColumns}
              data={hosts}
              rowKey={(h) => h.name}
              rowProps={(h) => ({ 'data-host': h.name })}
            />
          </section>
        )}
      </div>
    </div>
  );
}
