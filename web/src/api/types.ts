// Wire types of the KVM Manager JSON API. The schemas of api/openapi.yaml
// are generated into schema.gen.ts (`npm run gen:api`; `npm run lint`
// fails when it is stale); the names below are friendly aliases of them.
// What the YAML does not describe as a named schema yet (snapshot, serial
// and console payloads, events) is still written by hand further down.

import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type VMState = Schemas['VMState'];

export type PowerAction = Schemas['PowerAction'];

/** The roles, weakest first: each includes the ones before it. */
export type Role = 'viewer' | 'operator' | 'admin';

/** What a role may do, as GET /api/v1/session lists it. */
export type Permission = 'vm.read' | 'vm.power' | 'vm.console' | 'vm.snapshot' | 'vm.create' | 'vm.delete' | 'vm.edit' | 'audit.read' | 'sessions.manage' | 'hosts.manage';

export type Session = Schemas['Session'];

export type Host = Schemas['Host'];
export type HostState = Host['state'];

/** An enum a newer server may extend: the UI shows a value it does not know as it is. */
type Open<T extends string> = T | (string & {});
export type HostKey = Schemas['HostKey'];
/** What a connection test found (POST /api/v1/hosts/test). */
export type HostProbe = Schemas['HostProbe'];

export type VM = Omit<Schemas['VM'], 'domainType' | 'firmware'> & {
  domainType: Open<Schemas['VM']['domainType']>;
  firmware: Open<Schemas['VM']['firmware']>;
};
export type Disk = NonNullable<VM['disks']>[number];
export type NIC = NonNullable<VM['nics']>[number];
export type Graphics = NonNullable<VM['graphics']>[number];

/** One stats tick as the server sends it. Rates are absent on a VM's first tick. */
export type Sample = Schemas['Sample'];
/** How far a VM's stats history goes (GET …/stats). */
export type HistoryInfo = Schemas['HistoryInfo'];

export type Operation = Schemas['Operation'];

export type SessionInfo = Schemas['SessionInfo'];
export type AuditEntry = Omit<Schemas['AuditEntry'], 'result'> & { result: Open<Schemas['AuditEntry']['result']> };

export type Pool = Schemas['Pool'];

/** A snapshot policy (schedule, retention, name pattern, targets) with its next runs and last result. */
export type SchedulePolicy = Schemas['SchedulePolicy'];
export type SchedulePolicySpec = Schemas['SchedulePolicySpec'];
export type ScheduleRun = Schemas['ScheduleRun'];
export type ScheduleRetention = Schemas['ScheduleRetention'];
export type Volume = Schemas['Volume'];

/** One IP address of a VM and where the server read it. */
export type Address = Schemas['Address'];
/** The guest agent of a running VM. */
export type GuestInfo = Schemas['Guest'];

export type OperationState = 'running' | 'succeeded' | 'failed' | 'canceled';

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
}

export interface DeleteVMRequest {
  snapshots?: 'delete';
  disks: string[];
  force: boolean;
  removeNvram: boolean;
}

/** Payload of a `stats` event. */
export interface StatsEvent {
  host: string;
  time: string;
  samples: (Sample & { uuid: string })[];
}

/** Payload of a `vm-removed` event. */
export interface VMRemovedEvent {
  host: string;
  uuid: string;
  name: string;
}

/** The result of a finished delete operation. */
export interface DeleteResult {
  removedDisks?: string[];
  keptDisks?: string[];
  snapshotsDeleted?: number;
}

export function isOperation(v: unknown): v is Operation {
  return typeof v === 'object' && v !== null && 'id' in v && 'kind' in v && 'state' in v && 'progress' in v;
}

// ---- serial console (POST …/serial, …/serial/ws, POST …/serial/device) ----

/** A single-use ticket for the serial console's WebSocket (valid 30 s). */
export interface SerialTicket {
  ticket: string;
  /** Path and query of the WebSocket, relative to the server. */
  url: string;
  expiresInSeconds: number;
}

/** The answer to adding a serial console to a VM. */
export interface SerialDeviceAdded {
  message: string;
  /** The VM runs: the console appears when it next starts. */
  nextStart: boolean;
  vm: VM;
}

/** The serial console's states, as `{"type":"status","state":…}` messages carry them. */
export type SerialState = 'connecting' | 'connected' | 'reopened' | 'vm-stopped' | 'held-by-other' | 'no-serial-console' | 'unavailable';

/** A JSON (text) message from the serial console's WebSocket. */
export type SerialServerMessage =
  | { type: 'scrollback-start'; bytes: number; truncated: boolean }
  | { type: 'scrollback-end' }
  | { type: 'status'; state: SerialState; message?: string; hint?: string }
  | { type: 'error'; code: string; message: string };

// ---- snapshots (…/snapshots; see the snapshot paths in api/openapi.yaml) ----

/** The VM's state when a snapshot was taken; disk-snapshot is a disk-only snapshot of a running VM. */
export type SnapshotState = 'running' | 'paused' | 'shutoff' | 'disk-snapshot' | (string & {});

/** One snapshot as lists show it. */
export interface Snapshot {
  name: string;
  description: string;
  creationTime: string;
  state: SnapshotState;
  /** Absent for a root. */
  parent?: string;
  /** Direct children, oldest first. */
  children: string[] | null;
  descendants: number;
  current: boolean;
  location: 'internal' | 'external' | (string & {});
  /** Holds the VM's memory state. */
  memory: boolean;
  /** A console screenshot is stored with it. */
  screenshot: boolean;
  /** Only with ?sizes=true. */
  memoryStateBytes?: number;
}

/** One node of the snapshot tree (names only; the flat list has the rest). */
export interface SnapshotTreeNode {
  name: string;
  children: SnapshotTreeNode[] | null;
}

/** Whether something is possible now, and if not why and what would fix it. */
export interface SnapshotCapability {
  possible: boolean;
  location?: 'internal' | 'external' | (string & {});
  reasons: string[] | null;
  fixes: string[] | null;
  /** Caveats that hold even when possible. */
  notes: string[] | null;
}

/** The pre-flight for a new snapshot. */
export interface SnapshotCapabilities {
  vmState: string;
  libvirtVersion: string;
  /** The kind a create without "memory" takes. */
  default: 'memory' | 'disk-only';
  memory: SnapshotCapability;
  'disk-only': SnapshotCapability;
  quiesce: SnapshotCapability;
  revertExternal: SnapshotCapability;
  guestAgent: 'connected' | 'disconnected' | 'none' | 'unknown' | (string & {});
}

/** The snapshot operation running on a VM. */
export interface SnapshotBusy {
  /** Operation id; empty for a quick change. */
  operation: string;
  kind: 'create' | 'revert' | 'delete' | 'edit' | (string & {});
  snapshot: string;
  since: string;
}

/** GET …/snapshots */
export interface SnapshotList {
  host: string;
  uuid: string;
  vm: string;
  vmState: string;
  count: number;
  /** Absent when there is no current snapshot. */
  current?: string;
  /** Parents before children, siblings oldest first. */
  snapshots: Snapshot[] | null;
  /** The roots, oldest first. */
  tree: SnapshotTreeNode[] | null;
  capabilities: SnapshotCapabilities;
  busy?: SnapshotBusy;
  /** Whether the server stores a screenshot with new snapshots. */
  screenshots: boolean;
  sizesError?: string;
}

/** POST …/snapshots */
export interface SnapshotCreateRequest {
  name: string;
  description?: string;
  memory?: boolean;
  quiesce?: boolean;
}

/** The result of a finished snapshot-create operation. */
export interface SnapshotCreateResult {
  snapshot: Snapshot;
  quiesced: boolean;
  screenshotPending: boolean;
}

export type RevertAfter = 'snapshot' | 'running' | 'paused';

/** POST …/snapshots/{name}/revert */
export interface SnapshotRevertRequest {
  after?: RevertAfter;
  confirm?: boolean;
  /** Only after a revert failed with revert_risky and the user accepted the risk. */
  force?: boolean;
}

/** What a revert throws away. */
export interface RevertImpact {
  /** When the state that would be lost began; absent without a current snapshot. */
  since?: string;
  message: string;
}

/** The result of a finished snapshot-revert operation. */
export interface SnapshotRevertResult {
  snapshot: string;
  vmState: string;
  lost: RevertImpact;
  forced: boolean;
}

export type SnapshotDeleteScope = 'one' | 'subtree' | 'children';

/** The result of a finished snapshot-delete operation. */
export interface SnapshotDeleteResult {
  deleted: string[] | null;
  current?: string;
}

/** A figure read from QEMU or the file system, or why it cannot be known. */
export interface SnapshotSize {
  bytes: number | null;
  source?: string;
  unknown?: string;
}

/** One disk of a snapshot. */
export interface SnapshotDisk {
  name: string;
  location: 'internal' | 'external' | 'no' | (string & {});
  image?: string;
  overlay?: string;
  usage: SnapshotSize;
  imageAllocation: SnapshotSize;
}

/** GET …/snapshots/{name} */
export interface SnapshotDetails extends Snapshot {
  vmState: string;
  disks: SnapshotDisk[] | null;
  /** Absent when the snapshot has no memory. */
  memoryState?: SnapshotSize;
  /** The domain configuration captured with the snapshot. */
  domainXML: string;
  revert: SnapshotCapability & { needsConfirm: boolean; impact: RevertImpact };
  delete: Record<SnapshotDeleteScope, SnapshotCapability>;
}

/** GET …/snapshots/{name}/diff */
export interface SnapshotDiff {
  snapshot: string;
  identical: boolean;
  summary: string[] | null;
  /** Unified diff: "---" the snapshot, "+++" today. */
  unified: string;
}

/** Payload of a `snapshot` event. */
export interface SnapshotEvent {
  host: string;
  uuid: string;
  vm: string;
  change: 'created' | 'reverted' | 'deleted' | 'edited' | 'screenshot' | 'external' | (string & {});
  names: string[] | null;
  count: number;
  current?: string;
}

// ---- graphical console (POST …/console, …/console/ws, …/graphics/vnc, …/screenshot, …/thumbnail) ----

/** A single-use ticket for the graphical console's WebSocket (valid 30 s). */
export interface ConsoleTicket {
  ticket: string;
  /** Path and query of the WebSocket, relative to the server. */
  url: string;
  expiresInSeconds: number;
}

/** The answer to POST …/graphics/vnc. */
export interface VNCAdded {
  /** False when the definition already had VNC graphics. */
  added: boolean;
  /** The VM runs: the display appears after it is shut down and started again. */
  effectiveAtNextStart: boolean;
  message: string;
  vm: VM;
}

/** The answer to POST …/screenshot: where the server saved it. */
export interface SavedScreenshot {
  /** Absolute path on the server. */
  path: string;
  name: string;
  bytes: number;
  width: number;
  height: number;
}

// ---- users, sessions and the audit log (issue 7: /session, /sessions, /audit) ----

export type AuditResult = 'ok' | 'error' | 'denied';

/** GET /api/v1/audit: newest first. */
export interface AuditPage {
  entries: AuditEntry[] | null;
  /** Older entries exist (ask with cursor = next). */
  more: boolean;
  /** The cursor of the next (older) page, while more is true. */
  next?: string;
  /** The log file on the server. */
  file?: string;
  /** Why the log cannot be written now, when it cannot. */
  writeError?: string;
}

