// k-means finalize (the reduction's trials, in parallel on the thread pool) at 1 thread and at
// every core, each in its own process (BOUNDLESS_NUM_THREADS). The model must be the same bytes.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJson } from './subprocess.js';

export interface KmeansFinalizeRow { threads: number; k: number; held: number; dim: number; trials: number; seconds: number; centers: string }

const here = fileURLToPath(new URL('.', import.meta.url));

export async function runKmeansFinalize(): Promise<{ rows: KmeansFinalizeRow[]; notes: string[] }> {
  const shape = { k: 50, factor: 10, dim: 64, rows: 20000, repeats: 3 };
  const counts = [...new Set([1, 2, cpus().length])];
  const rows: KmeansFinalizeRow[] = [];
  for (const threads of counts) {
    const out = runJson(process.execPath, ['--import', 'tsx', join(here, 'kmeans-finalize-ours.ts'), JSON.stringify(shape)],
      { env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) } });
    rows.push({ threads: out.threads as number, k: shape.k, held: out.held as number, dim: shape.dim, trials: out.trials as number,
      seconds: out.seconds as number, centers: out.centers as string });
  }
  if (new Set(rows.map((r) => r.centers)).size !== 1) throw new Error(`kmeans-finalize: the models differ by thread count: ${JSON.stringify(rows)}`);
  return {
    rows,
    notes: [
      `finalize of a state fit on ${shape.rows} synthetic rows (${shape.dim} features, ${4 * shape.k} true clusters): the reduction of the held centres to k, median of ${shape.repeats}`,
      'the models are the same bytes at every thread count (checked: the centres column is the first 16 hex digits of their sha256)',
    ],
  };
}

export function kmeansFinalizeTable(rows: KmeansFinalizeRow[]): string {
  const one = rows.find((r) => r.threads === 1)!;
  const out = ['| threads | k | held centres | features | trials | seconds | speedup over 1 thread | centres (sha256) |', '|---:|---:|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(`| ${r.threads} | ${r.k} | ${r.held} | ${r.dim} | ${r.trials} | ${r.seconds.toFixed(3)} | ${(one.seconds / r.seconds).toFixed(2)}× | ${r.centers} |`);
  }
  return out.join('\n');
}
