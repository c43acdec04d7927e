// The form that adds a host or gives one a new URI or name, with "Test connection"
// before saving: the server connects once and says what it found (libvirt's
// version, or a host key to approve after adding, or why it failed).

import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import type { Host, HostProbe } from '../../api/types';
import { useSaveHost, useTestHost } from '../../resources/host/mutations';
import { Button, Field } from '../../ui';
import { buildURI, isSSH, nameProblem, splitKeyFile, STATE_TEXT } from './hosts';

export interface HostFormProps {
  /** The host being edited; none to add one. */
  host?: Host;
  /** Names already in use (the edited host's own name is allowed). */
  taken: readonly string[];
  onSaved: (h: Host) => void;
  onCancel: () => void;
}

function ProbeResult({ probe }: { probe: HostProbe }) {
  return (
    <div className={`host-probe ${probe.ok ? 'is-ok' : 'is-bad'}`} role="status" data-testid="host-probe">
      <strong>{probe.ok ? 'Connection works' : STATE_TEXT[probe.state]}</strong>
      {probe.ok && (
        <span>
          {' '}
          · libvirt {probe.libvirtVersion}
          {probe.hostname ? ` on ${probe.hostname}` : ''}
        </span>
      )}
      {probe.hostKey && (
        <div className="mono host-fp">
          {probe.hostKey.type} {probe.hostKey.fingerprint}
        </div>
      )}
      {probe.state === 'untrusted' && <p className="muted">After you add the host, approve this key on the Hosts page once you have checked it on the host.</p>}
      {!probe.ok && probe.error && <p className="host-probe-error">{probe.error}</p>}
    </div>
  );
}

export function HostForm({ host, taken, onSaved, onCancel }: HostFormProps) {
  const initial = host ? splitKeyFile(host.uri) : { uri: '', keyFile: '' };
  const [name, setName] = useState(host?.name ?? '');
  const [uri, setURI] = useState(initial.uri);
  const [keyFile, setKeyFile] = useState(initial.keyFile);
  const [touched, setTouched] = useState(false);
  const [probe, setProbe] = useState<HostProbe | null>(null);
  const full = buildURI(uri, keyFile);
  const nameErr = nameProblem(
    name,
    taken.filter((n) => n !== host?.name),
  );
  const renaming = !!host && name !== host.name;

  const test = useTestHost({ onMutate: () => setProbe(null), onSuccess: setProbe });
  const save = useSaveHost(host, { onSuccess: onSaved });
  const err = save.error ?? test.error;

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setTouched(true);
    if (nameErr || !uri.trim()) return;
    save.mutate({ name, uri: full });
  };

  return (
    <form className="host-form" onSubmit={submit} aria-label={host ? `Edit host ${host.name}` : 'Add a host'}>
      <h2 className="sec-panel-title">{host ? `Edit ${host.name}` : 'Add a host'}</h2>
      <div className="host-form-fields">
        <Field
          label="Name"
          error={touched ? nameErr : null}
          note={renaming ? 'Renaming closes the host’s consoles; its VMs come back under the new name, and links with the old name stop working.' : undefined}
          hint="Shown in the navigation and in addresses."
        >
          <input type="text" value={name} autoComplete="off" spellCheck={false} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field
          label="libvirt URI"
          error={touched && !uri.trim() ? 'Give the libvirt URI of the host.' : null}
          hint={
            <>
              <code>qemu+ssh://[user@]host[:port]/system</code> (or <code>/session</code>), <code>qemu+tls://host/system</code>, or <code>qemu:///system</code>.
            </>
          }
        >
          <input
            type="text"
            className="mono"
            value={uri}
            placeholder="qemu+ssh://root@kvm2/system"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setURI(e.target.value)}
          />
        </Field>
        {isSSH(uri) && (
          <Field label="SSH key file" optional hint="A private key file on the server (mode 600). Leave it empty to use the server’s SSH agent.">
            <input
              type="text"
              className="mono"
              value={keyFile}
              placeholder="/root/.ssh/id_ed25519"
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setKeyFile(e.target.value)}
            />
          </Field>
        )}
      </div>
      {probe && <ProbeResult probe={probe} />}
      {err instanceof ApiError && (
        <div className="host-probe is-bad" role="alert">
          <strong>{err.message}</strong>
          {err.hint && <p className="muted">{err.hint}</p>}
        </div>
      )}
      <div className="host-form-actions">
        <Button disabled={!uri.trim() || test.isPending} onClick={() => test.mutate({ name: name || undefined, uri: full })}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </Button>
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {host ? 'Save' : 'Add host'}
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
