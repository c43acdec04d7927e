import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const stateFile = join(root, 'test-results', 'e2e-state.json');

/** What global-setup started, shared with the specs through a file. */
export interface E2EState {
  baseURL: string;
  token: string;
  serverPid: number;
  dataDir: string;
  vms: { name: string; uuid: string }[];
}

export function saveState(s: E2EState): void {
  writeFileSync(stateFile, JSON.stringify(s, null, 2));
}

/** More for a server that a spec starts for itself. */
export interface ServerOptions {
  /** Extra command-line arguments, e.g. ['--config', file]. */
  args?: string[];
  /** Its log's file name in test-results (default e2e-server.log, the global server's). */
  log?: string;
}

/**
 * Starts bin/kvm-manager on listen (host:port; port 0 picks a free one) and
 * returns its base URL and pid. Both output streams go to a file: a pipe
 * closed after start-up would kill the server (SIGPIPE) when it next prints.
 */
export async function startServer(listen: string, token: string, dataDir: string, opts: ServerOptions = {}): Promise<{ baseURL: string; pid: number }> {
  const logPath = join(root, 'test-results', opts.log ?? 'e2e-server.log');
  const log = openSync(logPath, 'a');
  const start = readFileSync(logPath, 'utf8').length;
  const args = ['--listen', listen, '--data-dir', dataDir, '--stats-interval', '1s', ...(opts.args ?? [])];
  const server = spawn(join(root, 'bin', 'kvm-manager'), args, {
    env: { ...process.env, KVM_MANAGER_TOKEN: token },
    stdio: ['ignore', log, log],
    detached: true,
  });
  server.unref();
  for (let i = 0; i < 200; i++) {
    const m = /serving on (http:\/\/\S+)/.exec(readFileSync(logPath, 'utf8').slice(start));
    if (m) return { baseURL: m[1], pid: server.pid ?? 0 };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kvm-manager did not print its address; see ${logPath}`);
}

export function state(): E2EState {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as E2EState;
}

/** virsh against the system daemon: the ground truth the UI is compared with. */
export function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8' }).trim();
}

export function testguest(...args: string[]): string {
  return execFileSync(join(root, 'bin', 'testguest'), args, { encoding: 'utf8' }).trim();
}

/**
 * The release of the test guest's kernel (what `uname -r` prints in the
 * guest), as scripts/build-test-guest.sh recorded it when it built the guest
 * in guestDir: the one source of that version, which Debian moves on.
 */
export function guestKernelRelease(guestDir: string): string {
  const p = join(guestDir, 'kernel.release');
  if (!existsSync(p)) throw new Error(`${p} is missing: build the test guest with scripts/build-test-guest.sh`);
  const release = readFileSync(p, 'utf8').trim();
  if (!/^\S+$/.test(release)) throw new Error(`${p} holds ${JSON.stringify(release)}, not a kernel release: rebuild with FORCE=1 scripts/build-test-guest.sh`);
  return release;
}

/** The names of every domain libvirt has, exactly as they are (no trimming): listed by UUID, so that no name is parsed out of a table. */
export function domainNames(): string[] {
  const names: string[] = [];
  for (const uuid of virsh('list', '--all', '--uuid').split('\n')) {
    if (!uuid.trim()) continue;
    try {
      // virsh ends the name with blank lines; a name cannot hold a newline.
      names.push(execFileSync('virsh', ['-c', 'qemu:///system', 'domname', uuid.trim()], { encoding: 'utf8' }).replace(/\n+$/, ''));
    } catch {
      // removed meanwhile
    }
  }
  return names;
}

/**
 * Removes the test guests an earlier run left behind (killed before its
 * teardown): every domain named prefix and then only what a test guest name
 * may hold (letters, digits, '.', '_', '-'). Other VMs on the host may have
 * any legal name, spaces and markup included, even one starting with
 * prefix: those are not ours, and are left alone.
 */
export function removeLeftoverGuests(prefix: string): void {
  for (const name of domainNames()) {
    if (name.startsWith(prefix) && /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) testguest('remove', '--name', name);
  }
}

/** Stops a server a spec started (SIGTERM) and waits, up to timeoutMs, until it has exited, so that its data dir can go. */
export async function stopServer(pid: number, timeoutMs = 10_000): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  for (let waited = 0; alive(); waited += 100) {
    if (waited >= timeoutMs) throw new Error(`kvm-manager (pid ${pid}) did not exit within ${timeoutMs / 1000} s of SIGTERM`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
