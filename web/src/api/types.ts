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

export interface Session {
  user: string;
  csrfToken: string;
}

export type HostState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

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
  memoryUsedKiB?: number;
  memorySource?: 'guest' | 'host';
  diskReadBps?: number;
  diskWriteBps?: number;
  netRxBps?: number;
  netTxBps?: number;
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
