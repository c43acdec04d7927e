// The New VM wizard: source (an ISO, which can be uploaded right there with
// the Storage page's upload dialog, an existing disk, a cloud image, or
// network boot), system (name, OS from osinfo-db with search, CPUs,
// memory, disk, firmware, network), cloud-init for cloud images, and a
// summary with the domain XML the server would define (a dry run). Create
// runs the server's vm-create operation, then opens the new VM (on its
// console when asked). The server checks everything again; its message is
// shown as it comes.

import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Upload } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { useLocation } from 'wouter';
import { api } from '../../api/client';
import type { Operation } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { vmHref } from '../../lib/routes';
import { useHosts } from '../../resources/host/queries';
import { runToEnd } from '../../resources/operation/queries';
import { poolsQuery, volumesQuery } from '../../resources/storage/queries';
import { networksKey, networksPath, type Network } from '../networks/model';
import { UploadDialog } from '../storage/StorageDialogs';
import { DEFAULTS, newVMSchema, osDefaults, stepsFor, toRequest, type NewVMValues, type OSInfo, type Step } from './model';
import './create.css';

const vmsPath = (host: string) => `/api/v1/hosts/${encodeURIComponent(host)}/vms`;

interface Detection {
  volumeId: string;
  matches: OSInfo[];
  note: string;
}

export default function NewVMPage() {
  const id = useId();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const hosts = useHosts();
  const hostNames = (hosts.data ?? []).map((h) => h.name);
  const form = useForm<NewVMValues>({ resolver: zodResolver(newVMSchema), defaultValues: { ...DEFAULTS, host: '' }, mode: 'onTouched' });
  const { register, setValue, getValues, handleSubmit, formState, trigger, control } = form;
  const v = useWatch({ control }) as NewVMValues;
  const steps = stepsFor(v.kind);
  const [step, setStep] = useState<Step>('Source');
  const [osQuery, setOSQuery] = useState('');
  const [detected, setDetected] = useState<string>('');
  const [created, setCreated] = useState<Operation | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);

  useEffect(() => {
    if (!getValues('host') && hostNames[0]) setValue('host', hostNames[0]);
  }, [hostNames, getValues, setValue]);

  const host = v.host;
  const pools = useQuery({ ...poolsQuery(host), enabled: host !== '' });
  const volumes = useQuery({ ...volumesQuery(host, v.pool), enabled: host !== '' && !!v.pool });
  const networks = useQuery({
    queryKey: networksKey(host),
    queryFn: async ({ signal }) => (await api<{ networks: Network[] | null }>(networksPath(host), { signal })).networks ?? [],
    enabled: host !== '',
  });
  const osList = useQuery({
    queryKey: ['osinfo', osQuery],
    queryFn: async ({ signal }) => (await api<{ os: OSInfo[] }>(`/api/v1/osinfo?q=${encodeURIComponent(osQuery)}&limit=20`, { signal })).os,
    enabled: osQuery.trim().length > 1,
    staleTime: 60_000,
  });
  const preview = useQuery({
    queryKey: ['vm-preview', JSON.stringify(toRequest(v))],
    queryFn: ({ signal }) => api<{ xml: string; volumes: string[]; os?: string }>(vmsPath(host), { method: 'POST', body: toRequest(getValues(), true), signal }),
    enabled: step === 'Summary',
    retry: false,
  });

  // The wizard's own upload goes into the chosen pool (the Storage page's dialog and route).
  const [uploading, setUploading] = useState(false);
  const uploadPool = (pools.data ?? []).find((p) => p.name === v.pool);

  const wanted: string[] = v.kind === 'iso' ? ['iso', 'raw'] : v.kind === 'pxe' ? [] : ['qcow2', 'raw'];
  const volumeChoices = (volumes.data ?? []).filter((vol) => wanted.includes(vol.format) || (v.kind === 'iso' && vol.name.endsWith('.iso')));

  async function chooseVolume(name: string) {
    setValue('volume', name, { shouldValidate: true });
    setDetected('');
    if (v.kind !== 'iso' || !name) return;
    try {
      const d = await api<Detection>(`/api/v1/hosts/${encodeURIComponent(host)}/pools/${encodeURIComponent(v.pool)}/volumes/${encodeURIComponent(name)}/osinfo`);
      const best = d.matches[0];
      if (best) for (const [k, val] of Object.entries(osDefaults(best))) setValue(k as keyof NewVMValues, val as never);
      setDetected(d.note);
    } catch {
      setDetected('The operating system could not be detected; choose it on the next step.');
    }
  }

  const fieldsOf: Record<Step, (keyof NewVMValues)[]> = {
    Source: ['host', 'kind', 'pool', 'volume'],
    System: ['name', 'cpus', 'memoryMiB', 'diskGiB', 'network'],
    'Cloud-init': ['userData'],
    Summary: [],
  };
  const at = steps.indexOf(step);
  async function next() {
    if (await trigger(fieldsOf[step])) setStep(steps[Math.min(at + 1, steps.length - 1)] ?? 'Summary');
  }

  const submit = handleSubmit(async (values) => {
    setCreateError(null);
    try {
      const res = await runToEnd<{ uuid: string }>(qc, () => api<Operation>(vmsPath(values.host), { method: 'POST', body: toRequest(values) }), setCreated);
      navigate(vmHref(values.host, res.uuid, values.openConsole && values.start ? 'console' : undefined));
    } catch (e) {
      setCreateError(e);
      setCreated(null);
    }
  });
  const err = (k: keyof NewVMValues) => {
    const m = formState.errors[k]?.message;
    return m ? (
      <span className="field-error" id={`${id}-${k}-err`}>
        {m}
      </span>
    ) : null;
  };

  return (
    <div className="page-scroll">
      <div className="page newvm-page">
        <h1>New VM</h1>
        <ol className="newvm-steps" aria-label="Steps">
          {steps.map((s, i) => (
            <li key={s} aria-current={s === step ? 'step' : undefined} className={i < at ? 'done' : undefined}>
              {s}
            </li>
          ))}
        </ol>
        <form
          className="newvm-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (step === 'Summary') void submit();
            else void next();
          }}
        >
          {step === 'Source' && (
            <section aria-label="Source">
              {hostNames.length > 1 && (
                <label className="newvm-field">
                  <span className="field-label">Host</span>
                  <select aria-label="Host" {...register('host')}>
                    {hostNames.map((h) => (
                      <option key={h}>{h}</option>
                    ))}
                  </select>
                </label>
              )}
              <fieldset className="newvm-field">
                <legend className="field-label">Install from</legend>
                {(
                  [
                    ['iso', 'An ISO image', 'an installer in a storage pool, or uploaded here'],
                    ['cloud-image', 'A cloud image', 'a qcow2 image, copied, with cloud-init settings'],
                    ['disk', 'An existing disk', 'a qcow2 or raw volume, used in place or copied'],
                    ['pxe', 'Network boot (PXE)', 'boots from the network'],
                  ] as const
                ).map(([value, label, note]) => (
                  <label key={value} className="newvm-radio">
                    <input type="radio" value={value} {...register('kind')} /> {label} <span className="muted small">({note})</span>
                  </label>
                ))}
              </fieldset>
              <label className="newvm-field">
                <span className="field-label">{v.kind === 'pxe' ? 'Pool for the new disk' : 'Pool'}</span>
                <select aria-label={v.kind === 'pxe' ? 'Pool for the new disk' : 'Pool'} {...register('pool')} onChange={(e) => { setValue('pool', e.target.value); setValue('volume', ''); setDetected(''); }}>
                  <option value="">Choose a pool…</option>
                  {(pools.data ?? []).map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </label>
              {v.kind !== 'pxe' && (
                <label className="newvm-field">
                  <span className="field-label">Volume</span>
                  <select aria-label="Volume" name="volume" value={v.volume} onChange={(e) => void chooseVolume(e.target.value)} aria-describedby={`${id}-volume-err`}>
                    <option value="">Choose a volume…</option>
                    {volumeChoices.map((vol) => (
                      <option key={vol.name} value={vol.name}>
                        {vol.name} ({vol.format})
                      </option>
                    ))}
                  </select>
                  {err('volume')}
                  {detected && <span className="muted small" role="status">{detected}</span>}
                </label>
              )}
              {v.kind === 'iso' && uploadPool && (
                <p className="newvm-upload">
                  <button type="button" className="btn btn-small" onClick={() => setUploading(true)}>
                    <Upload size={14} aria-hidden /> Upload an ISO…
                  </button>{' '}
                  <span className="muted small">into “{uploadPool.name}”, then chosen here</span>
                </p>
              )}
              {v.kind === 'disk' && (
                <label className="newvm-radio">
                  <input type="checkbox" {...register('copy')} /> Copy it into a new volume (otherwise the VM uses it in place)
                </label>
              )}
            </section>
          )}
          {step === 'System' && (
            <section aria-label="System">
              <label className="newvm-field">
                <span className="field-label">Name</span>
                <input autoComplete="off" {...register('name')} aria-describedby={`${id}-name-err`} />
                {err('name')}
              </label>
              <label className="newvm-field">
                <span className="field-label">Operating system</span>
                <input type="search" placeholder="Search osinfo-db, e.g. debian 12" value={osQuery} onChange={(e) => setOSQuery(e.target.value)} />
                <span className="muted small">{v.os ? `Chosen: ${v.os}` : 'None chosen: generic defaults.'}</span>
              </label>
              {(osList.data ?? []).length > 0 && (
                <ul className="newvm-os" aria-label="Operating systems">
                  {(osList.data ?? []).map((o) => (
                    <li key={o.id}>
                      <button type="button" className="btn btn-small" onClick={() => { for (const [k, val] of Object.entries(osDefaults(o))) setValue(k as keyof NewVMValues, val as never); setOSQuery(''); }}>
                        {o.name}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
              <div className="newvm-row">
                <label className="newvm-field">
                  <span className="field-label">vCPUs</span>
                  <input type="number" min={1} {...register('cpus', { valueAsNumber: true })} />
                  {err('cpus')}
                </label>
                <label className="newvm-field">
                  <span className="field-label">Memory (MiB)</span>
                  <input type="number" min={64} step={64} {...register('memoryMiB', { valueAsNumber: true })} />
                  {err('memoryMiB')}
                </label>
                {v.kind !== 'disk' && (
                  <label className="newvm-field">
                    <span className="field-label">Disk (GiB)</span>
                    <input type="number" min={0} step={0.25} {...register('diskGiB', { valueAsNumber: true })} />
                    {err('diskGiB')}
                  </label>
                )}
              </div>
              <label className="newvm-field">
                <span className="field-label">Firmware</span>
                <select aria-label="Firmware" {...register('firmware')}>
                  <option value="bios">BIOS</option>
                  <option value="efi">UEFI (OVMF)</option>
                </select>
              </label>
              <label className="newvm-field newvm-check">
                <input type="checkbox" disabled={v.firmware !== 'efi'} {...register('secureBoot')} />
                <span>Secure Boot</span>
              </label>
              <label className="newvm-field newvm-check">
                <input type="checkbox" {...register('tpm')} />
                <span>TPM 2.0 (swtpm)</span>
              </label>
              <label className="newvm-field">
                <span className="field-label">Network</span>
                <select aria-label="Network" {...register('network')}>
                  <option value="">No network</option>
                  {(networks.data ?? []).map((n) => (
                    <option key={n.name} value={n.name}>
                      {n.name}
                    </option>
                  ))}
                </select>
                {err('network')}
              </label>
            </section>
          )}
          {step === 'Cloud-init' && (
            <section aria-label="Cloud-init">
              <label className="newvm-field">
                <span className="field-label">Hostname</span>
                <input {...register('hostname')} placeholder="the VM's name" />
              </label>
              <div className="newvm-row">
                <label className="newvm-field">
                  <span className="field-label">User</span>
                  <input autoComplete="off" {...register('user')} />
                </label>
                <label className="newvm-field">
                  <span className="field-label">Password</span>
                  <input type="password" autoComplete="new-password" {...register('password')} />
                  <span className="muted small">Hashed by the server before it is written.</span>
                </label>
              </div>
              <label className="newvm-field">
                <span className="field-label">SSH public key</span>
                <input className="mono" {...register('sshKey')} placeholder="ssh-ed25519 AAAA…" />
              </label>
              <label className="newvm-field">
                <span className="field-label">Or raw user-data</span>
                <textarea className="mono" rows={8} {...register('userData')} placeholder={'#cloud-config\nruncmd:\n  - echo hello'} aria-describedby={`${id}-userData-err`} />
                {err('userData')}
              </label>
            </section>
          )}
          {step === 'Summary' && (
            <section aria-label="Summary">
              <p>
                <strong>{v.name}</strong> from {v.kind === 'pxe' ? 'the network' : `${v.pool}/${v.volume}`}: {v.cpus} vCPU, {v.memoryMiB} MiB,{' '}
                {v.firmware === 'efi' ? (v.secureBoot ? 'UEFI with Secure Boot' : 'UEFI') : 'BIOS'}
                {v.tpm ? ', TPM 2.0' : ''}
                {v.os ? `, ${v.os}` : ''}.
              </p>
              {preview.error ? <ErrorNote error={preview.error} title="The server refuses this VM" /> : null}
              {preview.data && (
                <details>
                  <summary>Domain XML{preview.data.volumes.length ? ` (new volumes: ${preview.data.volumes.join(', ')})` : ''}</summary>
                  <pre className="newvm-xml mono">{preview.data.xml}</pre>
                </details>
              )}
              <label className="newvm-radio">
                <input type="checkbox" {...register('start')} /> Start after creation
              </label>
              <label className="newvm-radio">
                <input type="checkbox" {...register('openConsole')} disabled={!v.start} /> Open the console
              </label>
              {created && (
                <p role="status" className="muted">
                  Creating… {created.progress.stage}
                </p>
              )}
              {createError ? <ErrorNote error={createError} title="The VM was not created" /> : null}
            </section>
          )}
          <div className="newvm-actions">
            {at > 0 && (
              <button type="button" className="btn" onClick={() => setStep(steps[at - 1] ?? 'Source')}>
                Back
              </button>
            )}
            {step !== 'Summary' ? (
              <button type="submit" className="btn btn-primary">
                Next
              </button>
            ) : (
              <button type="submit" className="btn btn-primary" disabled={formState.isSubmitting || !!preview.error}>
                {formState.isSubmitting ? 'Creating…' : 'Create VM'}
              </button>
            )}
          </div>
        </form>
        {/* Outside the wizard's form: React sends the dialog's submit up its tree, through the portal. */}
        {uploading && uploadPool && (
          <UploadDialog host={host} pool={uploadPool} open={uploading} onOpenChange={setUploading} onUploaded={(name) => void chooseVolume(name)} />
        )}
      </div>
    </div>
  );
}
