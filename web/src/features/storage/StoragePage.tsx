// The Storage page: a host's pools with their capacity, and the volumes of
// the pool chosen, with what can be done to each (create, upload,
// download, resize, clone, delete; start, stop, refresh and delete a
// pool). What the user's role cannot do is not offered; what the server
// refuses (in use, no room) it says in its own words.

import { useQuery } from '@tanstack/react-query';
import { HardDrive } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import { Link } from 'wouter';
import { useHosts } from '../../resources/host/queries';
import { useConfirm } from '../../components/ConfirmProvider';
import { ErrorNote } from '../../components/ErrorNote';
import { PathText } from '../../components/PathText';
import { useTitle } from '../../components/useTitle';
import { formatBytes } from '../../lib/format';
import { vmHref } from '../../lib/routes';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { useDeleteVolume, usePoolAction } from '../../resources/storage/mutations';
import { Button, DataTable, type DataColumn } from '../../ui';
import { ImportDialog } from '../transfer/ImportDialog';
import { CloneDialog, CreatePoolDialog, CreateVolumeDialog, ResizeDialog, UploadDialog } from './StorageDialogs';
import { atLeast, contentPath, fillTone, poolsQuery, usedPercent, volumesQuery, type Pool, type Volume } from './storageApi';
import './storage.css';

type Open = { kind: 'pool' } | { kind: 'volume' | 'upload' | 'import'; pool: Pool } | { kind: 'resize' | 'clone'; volume: Volume } | null;

export function StoragePage() {
  useTitle('Storage');
  const hosts = useHosts().data ?? [];
  const [hostChoice, setHost] = useState('');
  const host = hostChoice !== '' ? hostChoice : (hosts[0]?.name ?? '');
  const pools = useQuery(poolsQuery(host));
  const [chosen, setChosen] = useState('');
  const list = pools.data ?? [];
  const pool = list.find((p) => p.name === chosen) ?? list.find((p) => p.state === 'running') ?? list[0];
  const { role } = useAccess();
  const [open, setOpen] = useState<Open>(null);
  const close = (o: boolean) => !o && setOpen(null);

  return (
    <div className="page-scroll">
      <div className="page storage-page">
        <div className="storage-head">
          <h1>
            <HardDrive size={22} aria-hidden /> Storage
          </h1>
          {hosts.length > 1 && (
            <label className="storage-host">
              Host{' '}
              <select value={host} onChange={(e) => setHost(e.target.value)}>
                {hosts.map((h) => (
                  <option key={h.name}>{h.name}</option>
                ))}
              </select>
            </label>
          )}
          {atLeast(role, 'admin') && (
            <Button variant="primary" onClick={() => setOpen({ kind: 'pool' })} disabled={host === ''}>
              New pool
            </Button>
          )}
        </div>

        <section className="panel" aria-labelledby="st-pools">
          <h2 id="st-pools" className="panel-title">
            Pools{hosts.length > 1 ? ` on ${host}` : ''}
          </h2>
          {pools.isError ? (
            <ErrorNote error={pools.error} onRetry={() => void pools.refetch()} />
          ) : pools.isPending ? (
            <p className="muted">Loading…</p>
          ) : list.length === 0 ? (
            <p className="muted">No storage pools on this host{atLeast(role, 'admin') ? ': make one with “New pool”.' : '.'}</p>
          ) : (
            <PoolTable pools={list} chosen={pool?.name} onChoose={setChosen} host={host} />
          )}
        </section>

        {pool && (
          <VolumesPanel
            key={`${host}/${pool.name}`}
            host={host}
            pool={pool}
            onNew={() => setOpen({ kind: 'volume', pool })}
            onUpload={() => setOpen({ kind: 'upload', pool })}
            onImport={() => setOpen({ kind: 'import', pool })}
            onResize={(v) => setOpen({ kind: 'resize', volume: v })}
            onClone={(v) => setOpen({ kind: 'clone', volume: v })}
          />
        )}
      </div>
      {open?.kind === 'pool' && <CreatePoolDialog host={host} open onOpenChange={close} />}
      {open?.kind === 'volume' && <CreateVolumeDialog host={host} pool={open.pool} open onOpenChange={close} />}
      {open?.kind === 'upload' && <UploadDialog host={host} pool={open.pool} open onOpenChange={close} />}
      {open?.kind === 'import' && <ImportDialog host={host} pool={open.pool} open onOpenChange={close} />}
      {open?.kind === 'resize' && <ResizeDialog host={host} volume={open.volume} open onOpenChange={close} />}
      {open?.kind === 'clone' && <CloneDialog host={host} volume={open.volume} open onOpenChange={close} />}
    </div>
  );
}

const STATE_TEXT: Record<Pool['state'], string> = {
  running: 'Active',
  inactive: 'Stopped',
  building: 'Building',
  degraded: 'Degraded',
  inaccessible: 'Inaccessible',
  unknown: 'Unknown',
};

function CapacityBar({ pool }: { pool: Pool }) {
  const pct = usedPercent(pool);
  const text = `${formatBytes(pool.allocationBytes)} used of ${formatBytes(pool.capacityBytes)}, ${formatBytes(pool.availableBytes)} free`;
  return (
    <div className="cap">
      <div className={`cap-bar cap-${fillTone(pct)}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={`${pool.name}: ${pct} % used`}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <span className="small muted">{text}</span>
    </div>
  );
}

function PoolTable({ pools, chosen, onChoose, host }: { pools: Pool[]; chosen: string | undefined; onChoose: (name: string) => void; host: string }) {
  const confirm = useConfirm();
  const { role } = useAccess();
  const act = usePoolAction(host, { onError: (err) => toastError(err, 'The pool was not changed') });
  const del = async (p: Pool) => {
    const ok = await confirm({
      title: `Delete pool “${p.name}”?`,
      body: `KVM Manager forgets the pool; its directory ${p.path ?? ''} and the files in it stay on the host.`,
      confirmLabel: 'Delete pool',
      danger: true,
    });
    if (ok) act.mutate({ pool: p.name, action: 'delete' });
  };
  const columns: DataColumn<Pool>[] = [
    {
      id: 'name',
      header: 'Name',
      rowHeader: true,
      cell: (p) => (
        <>
          <Button variant="link" onClick={() => onChoose(p.name)} aria-label={`Show volumes of ${p.name}`}>
            {p.name}
          </Button>
          {p.autostart && <span className="badge badge-plain">autostart</span>}
        </>
      ),
      sortValue: (p) => p.name,
    },
    {
      id: 'type',
      header: 'Type',
      cell: (p) => (
        <>
          {p.type}
          {!p.managed && <span className="muted small"> · read-only</span>}
        </>
      ),
      sortValue: (p) => p.type,
    },
    { id: 'state', header: 'State', cell: (p) => STATE_TEXT[p.state], sortValue: (p) => STATE_TEXT[p.state] },
    {
      id: 'capacity',
      header: 'Capacity',
      cell: (p) => (p.state === 'running' ? <CapacityBar pool={p} /> : <span className="muted">—</span>),
      sortValue: (p) => (p.state === 'running' ? p.capacityBytes : undefined),
    },
    { id: 'path', header: 'Path', className: 'mono path', cell: (p) => (p.path ? <PathText path={p.path} /> : null), sortValue: (p) => p.path },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      className: 'actions',
      cell: (p) => (
        <>
          {atLeast(role, 'operator') &&
            (p.state === 'running' ? (
              <>
                <Button size="sm" onClick={() => act.mutate({ pool: p.name, action: 'refresh' })}>
                  Refresh
                </Button>
                <Button size="sm" onClick={() => act.mutate({ pool: p.name, action: 'stop' })}>
                  Stop
                </Button>
              </>
            ) : (
              <Button size="sm" onClick={() => act.mutate({ pool: p.name, action: 'start' })}>
                Start
              </Button>
            ))}
          {atLeast(role, 'admin') && (
            <Button size="sm" variant="danger" onClick={() => void del(p)} aria-label={`Delete pool ${p.name}`}>
              Delete
            </Button>
          )}
        </>
      ),
    },
  ];
  return (
    <DataTable
      name="pools"
      label="Storage pools"
      className="storage-table"
      columns={columns}
      data={pools}
      rowKey={(p) => p.name}
      defaultSort={{ id: 'name' }}
      rowProps={(p) => ({ 'aria-current': p.name === chosen ? 'true' : undefined, className: p.name === chosen ? 'row-chosen' : undefined })}
    />
  );
}

interface VolumesPanelProps {
  host: string;
  pool: Pool;
  onNew: () => void;
  onUpload: () => void;
  /** Import a VM's export file into this pool (admins). */
  onImport: () => void;
  onResize: (v: Volume) => void;
  onClone: (v: Volume) => void;
}

function VolumesPanel({ host, pool, onNew, onUpload, onImport, onResize, onClone }: VolumesPanelProps) {
  const confirm = useConfirm();
  const { role } = useAccess();
  const running = pool.state === 'running';
  const vols = useQuery(volumesQuery(host, pool.name, running));
  const writable = running && pool.managed && atLeast(role, 'operator');
  const del = useDeleteVolume(host, pool.name, {
    onSuccess: (_, v) => toast.success(`Volume “${v.name}” deleted`),
    onError: (err) => toastError(err, 'The volume was not deleted'),
  });
  const remove = async (v: Volume) => {
    const ok = await confirm({
      title: `Delete volume “${v.name}”?`,
      body: `Its file ${v.path} is deleted from the host. This cannot be undone.`,
      confirmLabel: 'Delete volume',
      danger: true,
    });
    if (ok) del.mutate(v);
  };
  const columns: DataColumn<Volume>[] = [
    { id: 'name', header: 'Name', rowHeader: true, className: 'mono', cell: (v) => v.name, sortValue: (v) => v.name },
    { id: 'format', header: 'Format', cell: (v) => v.format || '—', sortValue: (v) => v.format },
    { id: 'size', header: 'Size', className: 'num', cell: (v) => formatBytes(v.capacityBytes), sortValue: (v) => v.capacityBytes },
    { id: 'used', header: 'Used on host', className: 'num', cell: (v) => formatBytes(v.allocationBytes), sortValue: (v) => v.allocationBytes },
    {
      id: 'usedBy',
      header: 'Used by',
      cell: (v) =>
        v.usedBy.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          v.usedBy.map((u) => (
            <Link key={`${u.uuid}/${u.disk}`} href={vmHref(host, u.uuid)} className="storage-user">
              {u.name} <span className="muted mono">{u.disk}</span>
            </Link>
          ))
        ),
      sortValue: (v) => v.usedBy.map((u) => u.name).join(', '),
    },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      className: 'actions',
      cell: (v) => (
        <>
          {atLeast(role, 'operator') && (
            <Button asChild size="sm">
              <a href={contentPath(host, pool.name, v.name)} download={v.name} aria-label={`Download ${v.name}`}>
                Download
              </a>
            </Button>
          )}
          {writable && v.format !== 'iso' && (
            <Button size="sm" onClick={() => onResize(v)} aria-label={`Resize ${v.name}`}>
              Resize
            </Button>
          )}
          {writable && (
            <Button size="sm" onClick={() => onClone(v)} aria-label={`Clone ${v.name}`}>
              Clone
            </Button>
          )}
          {writable && atLeast(role, 'admin') && (
            <Button size="sm" variant="danger" onClick={() => void remove(v)} aria-label={`Delete ${v.name}`}>
              Delete
            </Button>
          )}
        </>
      ),
    },
  ];
  return (
    <section className="panel" aria-labelledby="st-vols">
      <div className="storage-head">
        <h2 id="st-vols" className="panel-title">
          Volumes in “{pool.name}”
        </h2>
        {writable && (
          <>
            <Button size="sm" onClick={onNew}>
              New volume
            </Button>
            <Button size="sm" variant="primary" onClick={onUpload}>
              Upload
            </Button>
            {atLeast(role, 'admin') && (
              <Button size="sm" onClick={onImport}>
                Import VM
              </Button>
            )}
          </>
        )}
      </div>
      {!running ? (
        <p className="muted">The pool is stopped: start it to see its volumes.</p>
      ) : vols.isError ? (
        <ErrorNote error={vols.error} onRetry={() => void vols.refetch()} />
      ) : vols.isPending ? (
        <p className="muted">Loading…</p>
      ) : vols.data.length === 0 ? (
        <p className="muted">No volumes{writable ? ': create one, or upload an ISO or disk image.' : '.'}</p>
      ) : (
        <DataTable
          name="volumes"
          label={`Volumes in ${pool.name}`}
          className="storage-table"
          columns={columns}
          data={vols.data}
          rowKey={(v) => v.name}
          defaultSort={{ id: 'name' }}
        />
      )}
    </section>
  );
}
