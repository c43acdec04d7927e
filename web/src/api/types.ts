// Wire types of the KVM Manager JSON API (see api/openapi.yaml). Fields the
// server may omit are optional; arrays the server may send as null are
// typed so.

export type VMState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutting-down'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended';

export type PowerAction = 'start' | 'shutdown' | 'reboot' | 'force-off' | 'reset' | 'pause' | 'resume';

/** The roles, weakest first: each includes the ones before it. */
export type Role = 'viewer' | 'operator' | 'admin';

/** What a role may do, as GET /api/v1/session lists it. */
export type Permission = 'vm.read' | 'vm.power' | 'vm.console' | 'vm.snapshot' | 'vm.delete' | 'vm.edit' | 'audit.read' | 'sessions.manage' | 'hosts.manage';

export interface Session {
  user: string;
  csrfToken: string;
  /** Absent from servers before roles existed (issue 7), where every session could do everything. */
  role?: Role;
  /** What this role may do; absent from servers before roles existed. */
  permissions?: Permission[];
  expiresAt?: string;
}

export type HostState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'untrusted' | 'host_key_changed';

/** An SSH host key as the server shows it. */
export interface HostKey {
  type: string;
  fingerprint: string;
  /** The fingerprints on file when the key changed. */
  known?: string[];
}

export interface Host {
  name: string;
  uri: string;
  state: HostState;
  error?: string;
  since: string;
  nextRetry?: string;
  hostname?: string;
  libvirtVersion?: string;
  local: boolean;
  /** config: from the server's flags or config file; api: added on the Hosts page or through the API. */
  source?: 'config' | 'api';
  /** The key waiting for approval (states untrusted and host_key_changed). */
  hostKey?: HostKey;
  /** The approved key of a connected SSH host. */
  sshKey?: HostKey;
}

/** What a connection test found (POST /api/v1/hosts/test). */
export interface HostProbe {
  ok: boolean;
  state: HostState;
  error?: string;
  hostKey?: HostKey;
  hostname?: string;
  libvirtVersion?: string;
}

export interface Disk {
  target: string;
  device: string;
  bus?: string;
  type: string;
  source?: string;
  format?: string;
  capacityBytes?: number;
  allocationBytes?: number;
  readOnly?: boolean;
  shareable?: boolean;
}

export interface NIC {
  type: string;
  source?: string;
  mac?: string;
  model?: string;
  target?: string;
}

export interface Graphics {
  type: string;
  listen?: string;
  port?: number;
  autoport: boolean;
  socket?: string;
  password: boolean;
}

/** One stats tick as the server sends it. Rates are absent on a VM's first tick. */
export interface Sample {
  time: string;
  cpuPercent?: number;
  /** KiB the guest uses of memoryTotalKiB, from its balloon driver; absent when the guest reports none. */
  memoryUsedKiB?: number;
  memoryTotalKiB?: number;
  /** The host's view: KiB resident in the VM's QEMU process (can exceed the VM's memory). */
  memoryRssKiB?: number;
  diskReadBps?: number;
  diskWriteBps?: number;
  netRxBps?: number;
  netTxBps?: number;
}

/** How far a VM's stats history goes (GET …/stats). */
export interface HistoryInfo {
  tiers: { stepSeconds: number; spanSeconds: number }[];
  oldest?: string;
}

export interface VM {
  host: string;
  uuid: string;
  name: string;
  title?: string;
  description?: string;
  state: VMState;
  reason?: string;
  id?: number;
  domainType: 'kvm' | 'qemu' | (string & {});
  arch?: string;
  machine?: string;
  firmware: 'bios' | 'efi' | 'direct-kernel' | (string & {});
  vcpus: number;
  memoryMaxKiB: number;
  memoryKiB: number;
  disks: Disk[] | null;
  nics: NIC[] | null;
  graphics: Graphics[] | null;
  serialConsole: boolean;
  autostart: boolean;
  persistent: boolean;
  snapshotCount: number;
  stats?: Sample;
  updated: string;
  /** Power actions the state allows. `vm` events may leave it out; see normalizeVM. */
  actions?: PowerAction[];
  /** Guest IP addresses, once the server reports them. */
  addresses?: string[];
}

export type OperationState = 'running' | 'succeeded' | 'failed' | 'canceled';

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
}

export interface Operation {
  id: string;
  kind: string;
  target: { host?: string; uuid?: string; name?: string };
  state: OperationState;
  progress: { stage: string; percent?: number };
  result?: unknown;
  error?: ErrorBody;
  started: string;
  finished?: string;
  mayCancel: boolean;
  /** Who asked for the work: sent to admins, and to that user only. */
  user?: string;
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

/** One browser session, as GET /api/v1/sessions lists it. */
export interface SessionInfo {
  /** An identifier for revoking (not the cookie). */
  id: string;
  user: string;
  role: Role;
  client: string;
  userAgent: string;
  created: string;
  lastSeen: string;
  expiresAt: string;
  /** The session making this request. */
  current: boolean;
}

export type AuditResult = 'ok' | 'error' | 'denied';

/** One line of the audit log. */
export interface AuditEntry {
  time: string;
  user: string;
  role?: Role | (string & {});
  client: string;
  action: string;
  host?: string;
  uuid?: string;
  vm?: string;
  result: AuditResult | (string & {});
  status?: number;
  error?: { code: string; message: string };
  durationMs?: number;
  /** The operation's id, when the action ran as one (its result and duration are then the operation's). */
  operation?: string;
  detail?: string;
}

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
