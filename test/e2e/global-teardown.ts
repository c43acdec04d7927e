import { existsSync } from 'node:fs';
import { state, stateFile, testguest } from './env.ts';

/** Stops the server and removes every guest the run created. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(stateFile)) return;
  const s = state();
  try {
    process.kill(s.serverPid, 'SIGTERM');
  } catch {
    // already gone
  }
  for (const vm of s.vms) {
    try {
      testguest('remove', '--name', vm.name);
    } catch (e) {
      console.error(`removing ${vm.name}:`, e);
    }
  }
}
