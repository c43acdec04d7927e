import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  vms: { name: string; uuid: string }[];
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
