// The sparse kernels' training steps alone: batches of the threads bench's libsvm file (400k rows ×
// 100k features, 30 non-zeros a row) parsed first and kept in memory, then createState → update →
// finalize timed. The linear learner with one model (bench threads' train ÷ parse row's) and its
// default grid of 32, factorization machines and k-means with the threads bench's settings, each
// at 1 and 2 threads in its own process (BOUNDLESS_NUM_THREADS is per process), in batches of the
// algorithm's default mini_batch_size (what `boundless train` reads: the linear learner rounds it
// up to whole 32-row steps). The parsing of the same rows
// is timed in the same process, so each kernel's time reads against the parser's: train ÷ parse
// of the threads bench can come no lower than (parse + steps) ÷ parse with the steps on the
// critical path. The model's sha256 is reported: every thread count must give the same. A/B two
// builds by running the suite twice with BOUNDLESS_ADDON_PATH set to each.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, threadsDataFiles } from './threads.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = process.env.BOUNDLESS_CLI ?? join(root, 'dist', 'cli', 'main.js');
const library = join(dirname(dirname(cli)), 'index.js');
const repeats = Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3);

export interface StepsRow {
  kernel: string; threads: number; rows: number; batchRows: number;
  parseSeconds: number; seconds: number; nsPerNonzero: number; modelSha256: string;
}

interface StepsCase { kernel: string; algorithm: string; rows: number; batchRows: number; hp: Record<string, unknown> }

/** The child: parse `rows` rows (timed), then `repeats` timed runs; prints their seconds and the model's hash. */
const childScript = (path: string, dim: number, c: StepsCase) => `
  import { createHash } from 'node:crypto';
  import { createBackend, getAlgorithm, parseHyperparameters, readBatches } from ${JSON.stringify(library)};
  const algorithm = getAlgorithm(${JSON.stringify(c.algorithm)});
  const batches = [];
  let rows = 0;
  const parseStart = performance.now();
  for await (const b of readBatches(${JSON.stringify(path)}, { format: 'libsvm', featureDim: ${dim}, miniBatchSize: ${c.batchRows} })) {
    const nnz = b.indptr[b.rows];
    batches.push({ ...b, indptr: b.indptr.slice(0, b.rows + 1), indices: b.indices.slice(0, nnz), values: b.values.slice(0, nnz),
      labels: algorithm.labelSize ? b.labels.slice(0, b.rows) : undefined });
    rows += b.rows;
    if (rows >= ${c.rows}) break;
  }
  const parseSeconds = (performance.now() - parseStart) / 1000;
  const backend = await createBackend('cpu');
  const hp = parseHyperparameters(algorithm.name, algorithm.hyperparameters, ${JSON.stringify(c.hp)});
  const seconds = [];
  let hash = '';
  for (let run = 0; run < ${repeats}; run++) {
    const start = performance.now();
    const state = algorithm.createState(hp, { featureDim: ${dim}, labelSize: algorithm.labelSize, sparse: true }, backend);
    for (const b of batches) await algorithm.update(state, b, backend);
    const model = await algorithm.finalize(state, backend);
    seconds.push((performance.now() - start) / 1000);
    const h = createHash('sha256');
    for (const t of Object.values(model.data().tensors)) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    hash = h.digest('hex');
  }
  console.log(JSON.stringify({ rows, parseSeconds, seconds, hash }));`;

export async function runSparseSteps(): Promise<{ rows: StepsRow[]; notes: string[] }> {
  const { sparse, sparseDim } = await threadsDataFiles();
  const cases: StepsCase[] = [
    // The linear learner reads whole 32-row steps: its 1,000 rows a batch are 1,024 (readBatchRows).
    { kernel: 'linear-learner, 1 model', algorithm: 'linear-learner', rows: 400_000, batchRows: 1024, hp: { predictor_type: 'binary_classifier', num_models: 1 } },
    { kernel: 'linear-learner, 32 models (default)', algorithm: 'linear-learner', rows: 100_000, batchRows: 1024, hp: { predictor_type: 'binary_classifier' } },
    { kernel: 'factorization-machines, num_factors=8, 1 model', algorithm: 'factorization-machines', rows: 400_000, batchRows: 1000,
      hp: { predictor_type: 'binary_classifier', num_factors: 8, num_models: 1 } },
    { kernel: 'kmeans, k=10 (K = 100 streaming centres)', algorithm: 'kmeans', rows: 400_000, batchRows: 5000, hp: { k: 10 } },
  ];
  const only = process.env.BOUNDLESS_BENCH_KERNELS?.split(',');
  const out: StepsRow[] = [];
  for (const c of cases.filter((k) => !only || only.some((name) => k.kernel.startsWith(name)))) {
    for (const threads of [1, 2]) {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', childScript(sparse, sparseDim, c)], {
        encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) }, maxBuffer: 1 << 24,
      });
      if (result.status !== 0) throw new Error(`sparse-steps (${c.kernel}, ${threads} threads) failed: ${result.stderr.slice(-2000)}`);
      const { rows, parseSeconds, seconds, hash } = JSON.parse(result.stdout.trim().split('\n').pop()!) as
        { rows: number; parseSeconds: number; seconds: number[]; hash: string };
      const s = median(seconds);
      out.push({ kernel: c.kernel, threads, rows, batchRows: c.batchRows, parseSeconds, seconds: s, nsPerNonzero: (s * 1e9) / (rows * 30), modelSha256: hash });
      process.stderr.write(`${c.kernel} · ${threads} threads: ${s.toFixed(3)} s (parse ${parseSeconds.toFixed(3)} s)\n`);
    }
  }
  const addon = process.env.BOUNDLESS_ADDON_PATH;
  return {
    rows: out,
    notes: [
      'Data: bench/data/threads-sparse-400000.libsvm (generated by the threads bench; 30 non-zeros a row, 25 of them 1).',
      `Steps: the rows parsed first into batches of the rows \`boundless train\` reads for the algorithm's default mini_batch_size (the linear learner's 1,000 rounded up to whole 32-row steps), then createState → update → finalize; median of ${repeats} runs in one process.`,
      'Parse: reading the same rows into those batches (readBatches, the batches copied out), in the same process, once. Steps ÷ parse above 0.25 means the kernel alone keeps a whole `boundless train` from finishing within 1.25× the time of parsing the file alone (the goal of bench threads\' train ÷ parse column), unless it runs beside the parsing on cores the parsing leaves idle.',
      'The model hash is the finalized model\'s tensors: the same at 1 and 2 threads.',
      ...(addon ? [`Native addon: ${addon} (BOUNDLESS_ADDON_PATH).`] : []),
    ],
  };
}

export function sparseStepsTable(rows: StepsRow[]): string {
  const lines = ['| kernel | threads | rows | batch rows | parse s | steps s | steps ÷ parse | ns per non-zero | rows/s | model sha256 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    lines.push(`| ${r.kernel} | ${r.threads} | ${r.rows.toLocaleString('en-US')} | ${r.batchRows.toLocaleString('en-US')} | ${r.parseSeconds.toFixed(3)} | ` +
      `${r.seconds.toFixed(3)} | ${(r.seconds / r.parseSeconds).toFixed(2)} | ${r.nsPerNonzero.toFixed(1)} | ` +
      `${Math.round(r.rows / r.seconds).toLocaleString('en-US')} | ${r.modelSha256.slice(0, 16)} |`);
  }
  return lines.join('\n');
}
