// Runs one benchmark subject in its own process (so its thread count and peak memory are
// its own) and reads the JSON object it prints last.
import { spawnSync } from 'node:child_process';

/** One thread for us (BOUNDLESS_NUM_THREADS) and for the peers' BLAS and OpenMP. */
export const oneCore = { ...process.env, BOUNDLESS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

/** The last stdout line as JSON; with a timeout, { timedOut: seconds } when it was stopped. */
export function runJson(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutSeconds?: number } = {}): Record<string, unknown> {
  const { env = oneCore, timeoutSeconds } = options;
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 28, ...(timeoutSeconds ? { timeout: timeoutSeconds * 1000 } : {}) });
  if (timeoutSeconds && result.signal) return { timedOut: timeoutSeconds };
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
