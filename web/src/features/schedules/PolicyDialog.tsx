// Creating or editing a snapshot policy: name, schedule (said in words with
// its next runs in the server's and the browser's time zones as you type),
// retention, name pattern, what a snapshot holds, and which VMs.

import { zodResolver } from '@hookform/resolvers/zod';
import { CalendarClock, LoaderCircle } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import type { SchedulePolicy } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useHosts } from '../../resources/host/queries';
import { useSavePolicy, useSchedulePreview } from '../../resources/schedule/queries';
import { useVMs } from '../../resources/vm/queries';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { describeRunTime, formValues, KEEPS, policySchema, specOf, type PolicyValues } from './model';
import './schedules.css';

export interface PolicyDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The policy to edit; a new one when absent. */
  policy?: SchedulePolicy;
  /** For a new policy: the host and the VM it starts with. */
  host: string;
  uuid?: string;
}

export function PolicyDialog(props: PolicyDialogProps) {
  return (
    <Dialog open={props.open} onOpenChange={props.onOpenChange} wide className="sched-dialog" noDescription>
      {props.open && <PolicyForm {...props} />}
    </Dialog>
  );
}

/** The schedule field's value, settled for a moment before it is previewed. */
function useSettled(value: string, ms = 300): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function PolicyForm({ policy, host, uuid, onOpenChange }: PolicyDialogProps) {
  const id = useId();
  const form = useForm<PolicyValues>({ resolver: zodResolver(policySchema), mode: 'onChange', defaultValues: formValues(policy, host, uuid) });
  const { register, control, formState, setValue } = form;
  const [schedule, scope, chosenHost, uuids] = useWatch({ control, name: ['schedule', 'scope', 'host', 'uuids'] });
  const preview = useSchedulePreview(useSettled(schedule));
  const hosts = useHosts().data ?? [];
  const vms = (useVMs().data ?? []).filter((v) => v.host === chosenHost);
  const save = useSavePolicy({ onSuccess: () => onOpenChange(false) });
  const submit = form.handleSubmit((v) => save.mutate({ id: policy?.id, spec: specOf(v) }));
  const noTargets = scope === 'vms' && uuids.length === 0;

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <DialogHead>{policy ? `Edit policy “${policy.name}”` : 'New snapshot policy'}</DialogHead>

      <Field label="Name" error={formState.errors.name?.message} hint="Letters, digits, '-' and '_'; it goes into the snapshots' names.">
        <input type="text" autoComplete="off" spellCheck={false} maxLength={64} {...register('name')} />
      </Field>

      <Field
        label="Schedule"
        error={formState.errors.schedule?.message ?? (preview.isError ? preview.error.message : null)}
        hint="Five cron fields (minute hour day-of-month month day-of-week), or @hourly, @daily, @weekly, @monthly."
      >
        <input type="text" autoComplete="off" spellCheck={false} maxLength={200} {...register('schedule')} />
      </Field>
      {preview.data && (
        <div className="sched-preview" role="status" aria-label="Schedule preview">
          <p>
            <CalendarClock size={15} aria-hidden /> Runs <strong>{preview.data.scheduleText}</strong> ({preview.data.timeZone} time). Next runs:
          </p>
          <ol>
            {preview.data.next.map((t) => (
              <li key={t}>{describeRunTime(t, preview.data.timeZone)}</li>
            ))}
          </ol>
        </div>
      )}

      <fieldset className="sched-group">
        <legend>Retention (as Proxmox Backup Server prunes; 0 everywhere keeps every snapshot)</legend>
        <div className="sched-keeps">
          {KEEPS.map(([key, label, what]) => (
            <Field key={key} label={`Keep ${label.toLowerCase()}`} error={formState.errors[key]?.message} hint={what}>
              <input type="number" min={0} max={1000} step={1} {...register(key, { valueAsNumber: true })} />
            </Field>
          ))}
        </div>
        <p className="muted small">Only this policy’s own snapshots are pruned; pinned ones and snapshots made by hand or by other policies are never touched.</p>
      </fieldset>

      <Field label="Name pattern" error={formState.errors.namePattern?.message} hint="{policy} and a time such as {yyyyMMdd-HHmm} (yyyy MM dd HH mm ss); it must name the minute.">
        <input type="text" autoComplete="off" spellCheck={false} maxLength={100} {...register('namePattern')} />
      </Field>

      <fieldset className="sched-group">
        <legend>Snapshots</legend>
        <div className="check-row">
          <input id={`${id}-mem`} type="checkbox" {...register('memory')} />
          <label htmlFor={`${id}-mem`}>
            <span>With memory, while the VM runs</span>
            <span className="muted small">Otherwise disk-only: quiesced through the guest agent when it is connected, else marked crash-consistent.</span>
          </label>
        </div>
        <div className="check-row">
          <input id={`${id}-off`} type="checkbox" {...register('runWhileOff')} />
          <label htmlFor={`${id}-off`}>
            <span>Also while the VM is shut off</span>
            <span className="muted small">Otherwise runs skip shut-off VMs, and say so.</span>
          </label>
        </div>
        <div className="check-row">
          <input id={`${id}-on`} type="checkbox" {...register('enabled')} />
          <label htmlFor={`${id}-on`}>
            <span>Enabled</span>
          </label>
        </div>
      </fieldset>

      <fieldset className="sched-group">
        <legend>Applies to</legend>
        <Field label="Host">
          <select {...register('host')}>
            {hosts.map((h) => (
              <option key={h.name} value={h.name}>
                {h.name}
              </option>
            ))}
          </select>
        </Field>
        <div className="check-row">
          <input id={`${id}-all`} type="radio" checked={scope === 'host'} onChange={() => setValue('scope', 'host')} />
          <label htmlFor={`${id}-all`}>
            <span>Every VM of the host</span>
            <span className="muted small">VMs added later are included.</span>
          </label>
        </div>
        <div className="check-row">
          <input id={`${id}-some`} type="radio" checked={scope === 'vms'} onChange={() => setValue('scope', 'vms')} />
          <label htmlFor={`${id}-some`}>
            <span>These VMs</span>
          </label>
        </div>
        {scope === 'vms' && (
          <ul className="sched-vms">
            {vms.map((v) => (
              <li key={v.uuid} className="check-row">
                <input
                  id={`${id}-vm-${v.uuid}`}
                  type="checkbox"
                  checked={uuids.includes(v.uuid)}
                  onChange={(e) => setValue('uuids', e.target.checked ? [...uuids, v.uuid] : uuids.filter((u) => u !== v.uuid), { shouldValidate: true })}
                />
                <label htmlFor={`${id}-vm-${v.uuid}`}>{v.name}</label>
              </li>
            ))}
          </ul>
        )}
        {noTargets && <p className="muted small">Choose at least one VM, or every VM of the host.</p>}
      </fieldset>

      {save.error && <ErrorNote error={save.error} title="The policy was not saved" />}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={save.isPending || noTargets} aria-busy={save.isPending || undefined}>
          {save.isPending && <LoaderCircle size={16} className="spin" aria-hidden />}
          {policy ? 'Save policy' : 'Create policy'}
        </Button>
      </DialogActions>
    </form>
  );
}
