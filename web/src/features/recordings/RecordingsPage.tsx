// The recordings page (/recordings): every console recording with its VM,
// user, start, length and size, to play, download or (admins) delete; and
// one recording's player (/recordings/:id).

import { useQuery } from '@tanstack/react-query';
import { Download, Play, Trash2, Video } from 'lucide-react';
import { Link, useParams } from 'wouter';
import { Button, EmptyState } from '../../ui';
import { useAccess } from '../security/useAccess';
import { RecordingPlayer, clock } from './RecordingPlayer';
import { recordingFileHref, recordingQuery, recordingsQuery, useDeleteRecording } from './queries';
import './recordings.css';

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function RecordingsList() {
  const q = useQuery(recordingsQuery());
  const { role } = useAccess();
  const del = useDeleteRecording();
  const list = q.data ?? [];
  return (
    <>
      <h1>Recordings</h1>
      <p className="muted">Console recordings, newest first. Start one from a console's toolbar (Record).</p>
      {q.error && <p role="alert">{q.error.message}</p>}
      {list.length === 0 && !q.isPending ? (
        <EmptyState icon={<Video size={20} aria-hidden />} title="No recordings">
          Start a recording from a VM's console toolbar.
        </EmptyState>
      ) : (
        <table className="rec-table">
          <thead>
            <tr>
              <th>VM</th>
              <th>User</th>
              <th>Started</th>
              <th>Length</th>
              <th>Size</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-recording={r.id}>
                <td>
                  {r.vmName} {r.active && <span className="rec-mark">Recording</span>}
                </td>
                <td>{r.user || '—'}</td>
                <td>{new Date(r.started).toLocaleString()}</td>
                <td>{clock(r.duration * 1000)}</td>
                <td>{size(r.size)}</td>
                <td className="rec-actions">
                  <Button size="sm" asChild>
                    <Link href={`/recordings/${encodeURIComponent(r.id)}`}>
                      <Play size={14} aria-hidden /> Play
                    </Link>
                  </Button>
                  <Button size="sm" variant="ghost" asChild>
                    <a href={recordingFileHref(r.id)} download aria-label={`Download the recording of ${r.vmName}`}>
                      <Download size={14} aria-hidden />
                    </a>
                  </Button>
                  {role === 'admin' && (
                    <Button size="sm" variant="danger-outline" disabled={r.active || del.isPending} onClick={() => del.mutate(r.id)} aria-label={`Delete the recording of ${r.vmName}`}>
                      <Trash2 size={14} aria-hidden />
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RecordingView({ id }: { id: string }) {
  const q = useQuery(recordingQuery(id));
  return (
    <>
      <p>
        <Link href="/recordings">← Recordings</Link>
      </p>
      {q.error && <p role="alert">{q.error.message}</p>}
      {q.data && (
        <>
          <h1>
            {q.data.vmName} <span className="muted">{new Date(q.data.started).toLocaleString()}</span>
          </h1>
          <RecordingPlayer details={q.data} />
        </>
      )}
    </>
  );
}

export default function RecordingsPage() {
  const params = useParams<{ id?: string }>();
  return (
    <div className="page-scroll">
      <div className="page rec-page">{params.id ? <RecordingView id={params.id} /> : <RecordingsList />}</div>
    </div>
  );
}
