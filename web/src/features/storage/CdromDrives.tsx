// A VM's CD-ROM drives on its Overview: what is in each, and (for
// operators) insert, change or eject an ISO from a storage pool. The
// change applies to the running VM and to its stored definition.

import { useQuery } from '@tanstack/react-query';
import { Disc } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import { type DriveAdded, useAddCdromDrive, useChangeMedia } from '../../resources/storage/mutations';
import { isActive } from '../../resources/vm/model';
import { Button } from '../../ui';
import type { VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { PathText } from '../../components/PathText';
import { useAccess } from '../security/useAccess';
import { atLeast, poolsQuery, volumesQuery } from './storageApi';

export function CdromDrives({ vm }: { vm: VM }) {
  const drives = (vm.disks ?? []).filter((d) => d.device === 'cdrom');
  const { role } = useAccess();
  if (drives.length === 0) return atLeast(role, 'admin') ? <AddDrive vm={vm} /> : null;
  return (
    <section className="panel" aria-labelledby="ov-cdrom">
      <h2 id="ov-cdrom" className="panel-title">
        <Disc size={16} aria-hidden /> CD-ROM
      </h2>
      {drives.map((d) => (
        <Drive key={d.target} vm={vm} target={d.target} source={d.source} canChange={atLeast(role, 'operator')} />
      ))}
    </section>
  );
}

function Drive({ vm, target, source, canChange }: { vm: VM; target: string; source?: string; canChange: boolean }) {
  const id = useId();
  const [choosing, setChoosing] = useState(false);
  const [pool, setPool] = useState('');
  const [volume, setVolume] = useState('');
  const pools = useQuery({ ...poolsQuery(vm.host), enabled: choosing });
  const running = (pools.data ?? []).filter((p) => p.state === 'running');
  const poolName = pool !== '' ? pool : (running[0]?.name ?? '');
  const vols = useQuery(volumesQuery(vm.host, poolName, choosing));
  const media = (vols.data ?? []).filter((v) => v.format !== 'qcow2');
  const change = useChangeMedia(vm, target, {
    onSuccess: (m) => {
      const where = m.live && m.config ? 'now and after a restart' : m.live ? 'until the VM stops' : 'from the next start';
      toast.success(m.source ? `Inserted into ${target} (${where})` : `Ejected ${target} (${where})`);
      setChoosing(false);
    },
  });
  return (
    <div className="cdrom-drive">
      <p>
        <span className="mono">{target}</span>: {source ? <PathText path={source} /> : <span className="muted">empty</span>}
      </p>
      {canChange && !choosing && (
        <div className="cdrom-actions">
          <Button size="sm" onClick={() => setChoosing(true)}>
            {source ? 'Change…' : 'Insert…'}
          </Button>
          {source && (
            <Button size="sm" onClick={() => change.mutate(null)} disabled={change.isPending}>
              Eject
            </Button>
          )}
        </div>
      )}
      {choosing && (
        <form
          className="cdrom-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (poolName && volume) change.mutate({ pool: poolName, volume });
          }}
        >
          <label htmlFor={`${id}-pool`}>Pool</label>
          <select id={`${id}-pool`} value={poolName} onChange={(e) => setPool(e.target.value)}>
            {running.map((p) => (
              <option key={p.name}>{p.name}</option>
            ))}
          </select>
          <label htmlFor={`${id}-vol`}>Image</label>
          <select id={`${id}-vol`} value={volume} onChange={(e) => setVolume(e.target.value)}>
            <option value="">Choose…</option>
            {media.map((v) => (
              <option key={v.name} value={v.name}>
                {v.name}
              </option>
            ))}
          </select>
          <Button type="submit" size="sm" variant="primary" disabled={!volume || change.isPending}>
            Insert
          </Button>
          <Button size="sm" onClick={() => setChoosing(false)}>
            Cancel
          </Button>
        </form>
      )}
      {change.error && <ErrorNote error={change.error} />}
    </div>
  );
}

/** For a VM without a CD-ROM drive (admins: it changes the definition). */
function AddDrive({ vm }: { vm: VM }) {
  const [done, setDone] = useState<DriveAdded | null>(null);
  const running = isActive(vm.state);
  const add = useAddCdromDrive(vm, {
    onSuccess: (res) => {
      setDone(res);
      toast.success(`CD-ROM drive ${res.target} added to ${vm.name}`, {
        description: res.effectiveAtNextStart ? 'It takes effect the next time the VM starts: shut it down, then start it.' : undefined,
      });
    },
  });
  return (
    <section className="panel" aria-labelledby="ov-cdrom">
      <h2 id="ov-cdrom" className="panel-title">
        <Disc size={16} aria-hidden /> CD-ROM
      </h2>
      {done ? (
        <p role="status" data-testid="cdrom-added">
          {done.message.charAt(0).toUpperCase() + done.message.slice(1)}.
        </p>
      ) : (
        <>
          <p className="muted">
            The VM has no CD-ROM drive.{' '}
            {running ? 'One added now takes effect the next time the VM starts (shut it down, then start it).' : 'One added now is there when it starts.'}
          </p>
          <Button size="sm" onClick={() => add.mutate()} disabled={add.isPending}>
            Add CD-ROM drive
          </Button>
        </>
      )}
      {add.error && <ErrorNote error={add.error} />}
    </section>
  );
}
