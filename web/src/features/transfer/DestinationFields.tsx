// Where an export goes: "Download" (the browser saves the file) or "Into
// a pool" (a new volume of a running pool on the VM's host, named here).
// Shared by the VM export and a snapshot's disk export.

import { useQuery } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { formatBytes } from '../../lib/format';
import { poolsQuery } from '../../resources/storage/queries';
import { Field } from '../../ui';

export interface DestinationState {
  kind: 'download' | 'pool';
  pool: string;
  volume: string;
}

/** The name rule the server applies to volume names (one path part, not hidden). */
export function volumeNameError(v: string): string | null {
  if (v === '') return 'Give the new volume a name.';
  if (v.length > 200 || /[/\\\0]/.test(v) || v.startsWith('.')) return 'Use letters, digits, dots, dashes and underscores, not starting with a dot.';
  return null;
}

export function DestinationFields({ host, value, onChange, disabled }: { host: string; value: DestinationState; onChange: (v: DestinationState) => void; disabled?: boolean }) {
  const id = useId();
  const pools = useQuery({ ...poolsQuery(host), enabled: value.kind === 'pool' });
  const usable = (pools.data ?? []).filter((p) => p.state === 'running' && p.managed);
  const pool = value.pool !== '' ? value.pool : (usable[0]?.name ?? '');
  const chosen = usable.find((p) => p.name === pool);
  // The first usable pool is the choice until the user picks another.
  useEffect(() => {
    if (value.kind === 'pool' && value.pool === '' && pool !== '') onChange({ ...value, pool });
  }, [value, pool, onChange]);
  return (
    <>
      <fieldset className="export-destination" disabled={disabled}>
        <legend>Destination</legend>
        <label>
          <input type="radio" name={`${id}-dest`} checked={value.kind === 'download'} onChange={() => onChange({ ...value, kind: 'download' })} /> Download (the browser saves the file)
        </label>
        <label>
          <input type="radio" name={`${id}-dest`} checked={value.kind === 'pool'} onChange={() => onChange({ ...value, kind: 'pool', pool })} /> Into a storage pool on the host
        </label>
      </fieldset>
      {value.kind === 'pool' && (
        <>
          <Field label="Pool" hint={chosen ? `${formatBytes(chosen.availableBytes)} free` : pools.isPending ? 'Reading the pools…' : 'No running directory pool on this host.'}>
            <select id={`${id}-pool`} value={pool} disabled={disabled} onChange={(e) => onChange({ ...value, pool: e.target.value })}>
              {usable.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="New volume name" error={value.volume === '' ? null : volumeNameError(value.volume)}>
            <input id={`${id}-vol`} type="text" value={value.volume} autoComplete="off" disabled={disabled} onChange={(e) => onChange({ ...value, volume: e.target.value })} />
          </Field>
        </>
      )}
    </>
  );
}
