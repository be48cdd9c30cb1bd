// npm run bench [-- suite ...]: runs benchmark suites and writes a Markdown
// table and the raw JSON to bench/results/. Ratios are against our cpu
// backend on the same machine in the same run.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.js';
import { runDenseLinear, shapes, type Row } from './dense-linear.js';
import { runParse, type ParseRow } from './parse.js';
import { convertTable, runConvert } from './convert.js';
import { runLinearLearner, type LinearRow } from './linear-learner.js';
import { realMarkdown, runLinearLearnerReal } from './linear-learner-real.js';
import { runKmeans, type KmeansRow } from './kmeans.js';
import { kmeansFinalizeTable, runKmeansFinalize } from './kmeans-finalize.js';
import { runPca, type PcaRow } from './pca.js';
import { runFactorizationMachines, type FmRow } from './factorization-machines.js';
import type { RatingsSet } from './fm-ratings.js';
import { runThreads, threadsMarkdown } from './threads.js';
import { runSparseSteps, sparseStepsTable } from './sparse-steps.js';
import { runWorkers, workersTable } from './workers.js';
import { epochsTable, runEpochs } from './epochs.js';
import { clusterMarkdown, runCluster } from './cluster.js';
import { redisStreamTable, runRedisStream } from './redis-stream.js';
import { ntmMarkdown, runNtm } from './ntm.js';
import { deeparStepTable, runDeeparStep } from './deepar-step.js';
import { deeparMarkdown, runDeepar } from './deepar.js';
import { packageTable, runPackage } from './package.js';
import { rowKernelsTable, runRowKernels } from './row-kernels.js';
import { gpuTrainingTable, runGpuTraining } from './gpu-training.js';
import { gpuOverheadTable, runGpuOverhead } from './gpu-overhead.js';

interface SuiteResult { markdown: string; json: unknown; /** What the table compares, when not boundless against peers. */ legend?: string }

const suites: Record<string, () => Promise<SuiteResult>> = {
  // A Redis stream through one consumer group, 1 and 2 members, the producer included (bench/redis-stream.ts).
  'redis-stream': async () => {
    const { rows, notes } = await runRedisStream();
    return {
      markdown: [redisStreamTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'Records/s of a Redis stream read by one consumer group; the file read from disk is the reference.',
    };
  },
  // The npm tarball with and without the shipped CUDA addon: size and install time (bench/package.ts).
  package: async () => {
    const { rows, notes } = await runPackage();
    return {
      markdown: [packageTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'What `npm install boundless-ml` downloads and how long it takes on this machine.',
    };
  },
  // The predict kernels on every backend available, strict (bench/row-kernels.ts).
  'row-kernels': async () => {
    const { rows, notes } = await runRowKernels();
    return {
      markdown: [rowKernelsTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'One predict call on a 1000-row batch per backend; the last column is cpu\'s time over the backend\'s (above 1× is faster than cpu).',
    };
  },
  // Training kernels that keep their state on a GPU, on every backend available, strict (bench/gpu-training.ts).
  'gpu-overhead': async () => {
    const { rows, notes } = await runGpuOverhead();
    return {
      markdown: [gpuOverheadTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: "Where a cuda training batch's time goes (PCA at 784 features), cpu's kernel beside it.",
    };
  },
  'gpu-training': async () => {
    const { rows, notes } = await runGpuTraining();
    return {
      markdown: [gpuTrainingTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'Whole training runs of a kernel per backend (batches, then one read-back); × cpu above 1× is faster than cpu.',
    };
  },
  // Several epochs from a file: the epoch cache against parsing every epoch, scikit-learn beside (bench/epochs.ts).
  epochs: async () => {
    const { rows, notes } = await runEpochs();
    return {
      markdown: [epochsTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'Whole training processes of several epochs; the × column is each time over the epoch-cached run of the same job (above 1× is slower than it).',
    };
  },
  'dense-linear': async () => {
    const { rows, notes } = await runDenseLinear();
    return { markdown: [table(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  parse: async () => {
    const { rows, notes, memory } = await runParse();
    return { markdown: [parseTable(rows), '', memoryTable(memory), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes, memory } };
  },
  convert: async () => {
    const { rows, notes } = await runConvert();
    return { markdown: [convertTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  'linear-learner': async () => {
    const { rows, notes } = await runLinearLearner();
    return { markdown: [linearTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  // Real data, whole CLI runs (bench/linear-learner-real.ts; BOUNDLESS_CLI picks the build).
  'linear-learner-real': async () => {
    const result = await runLinearLearnerReal();
    return { markdown: realMarkdown(result), json: result };
  },
  // Whole processes at BOUNDLESS_NUM_THREADS = 1, 2, … (BOUNDLESS_BENCH_THREADS): parsing and training.
  threads: async () => {
    const { rows, notes } = await runThreads();
    return { markdown: [threadsMarkdown(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  // The sparse kernels' steps alone beside the parsing of the same rows, at 1 and 2 threads (bench/sparse-steps.ts).
  'sparse-steps': async () => {
    const { rows, notes } = await runSparseSteps();
    return {
      markdown: [sparseStepsTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'Training time alone (batches in memory); lower is better. Compare two builds by running the suite with each.',
    };
  },
  kmeans: async () => {
    const { rows, notes } = await runKmeans();
    return { markdown: [kmeansTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  // finalize's reduction trials at 1 thread and at every core (bench/kmeans-finalize.ts).
  'kmeans-finalize': async () => {
    const { rows, notes } = await runKmeansFinalize();
    return { markdown: [kmeansFinalizeTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  pca: async () => {
    const { rows, notes } = await runPca();
    return { markdown: [pcaTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes } };
  },
  // Data-parallel workers: --workers 2 at 2 threads against one worker at 1 (bench/workers.ts).
  workers: async () => {
    const { rows, notes } = await runWorkers();
    return {
      markdown: [workersTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes },
      legend: 'Ratios are against one worker at one thread on the same file in the same run; above 1× is faster. Timings on this VM vary by up to ±20% from one period to another: compare rows of one run.',
    };
  },
  // Cluster jobs through Redis on loopback: per-round overhead, weak scaling and quality on real rows, projection (bench/cluster.ts).
  cluster: async () => {
    const result = await runCluster();
    return {
      markdown: clusterMarkdown(result), json: result,
      legend: 'Times on this machine, Redis on loopback; member processes share its 2 cores and Redis (4 members measure sharing, not machines).',
    };
  },
  'factorization-machines': async () => {
    const previousPath = join(resultsDir, 'factorization-machines.json');
    const previous = existsSync(previousPath) ? JSON.parse(readFileSync(previousPath, 'utf8')) : undefined;
    const { rows, notes, ratings, ratingsNotes, flightsFrom } = await runFactorizationMachines(previous);
    const flightsNote = flightsFrom ? [`- The flights tables were not rerun (BOUNDLESS_BENCH_FM_SKIP_FLIGHTS=1): rows carried over from the run of ${flightsFrom}.`] : [];
    return {
      markdown: [...ratings.flatMap((set) => [ratingsTable(set), '', ...set.notes.map((n) => `- ${n}`), '']), ...ratingsNotes.map((n) => `- ${n}`), '', fmTable(rows), '', ...notes.map((n) => `- ${n}`), ...flightsNote].join('\n'),
      json: { ratings, ratingsNotes, rows, notes, ...(flightsFrom ? { flightsFrom } : {}) },
    };
  },
  // DeepAR's network training step at the issue's reference shape (bench/deepar-step.ts).
  'deepar-step': async () => {
    const { rows, notes } = await runDeeparStep();
    return { markdown: [deeparStepTable(rows), '', ...notes.map((n) => `- ${n}`)].join('\n'), json: { rows, notes }, legend: 'Training steps per second of DeepAR\'s network kernel.' };
  },
  // DeepAR against seasonal naive and ETS on real multi-series data, SageMaker's metrics (bench/deepar.ts).
  deepar: async () => {
    const result = await runDeepar();
    return { markdown: deeparMarkdown(result), json: result, legend: 'ND, weighted quantile loss and RMSE of each forecaster; lower is better.' };
  },
  // The same peers alone, no boundless needed (bench/deepar.ts).
  'deepar-peers': async () => {
    const result = await runDeepar({ peersOnly: true });
    return { markdown: deeparMarkdown(result), json: result, legend: 'Peers of DeepAR alone (seasonal naive, ETS): the numbers to beat; lower is better.' };
  },
  // The neural topic model against online LDA (scikit-learn, gensim) on the State of the Union (bench/ntm.ts).
  ntm: async () => {
    const result = await runNtm();
    return { markdown: ntmMarkdown(result), json: result };
  },
  // The same peers alone, no boundless needed (bench/ntm.ts).
  'ntm-peers': async () => {
    const result = await runNtm({ peersOnly: true });
    return {
      markdown: ntmMarkdown(result), json: result,
      legend: 'Peers of the neural topic model alone; the last column is each time over scikit-learn\'s one pass.',
    };
  },
};

function ratingsTable(set: RatingsSet): string {
  const { rows } = set;
  const ours = rows[0];
  const bias = rows.find((r) => r.implementation.startsWith('bias model'))!;
  const ridge = rows.find((r) => r.implementation === 'scikit-learn Ridge, all one-hot columns')!;
  const out = [`**${set.title}** (regression, test RMSE; lower is better)`, '',
    '| implementation | seconds | test RMSE | ÷ bias model | ÷ Ridge (all one-hot) | this ÷ boundless defaults (time) |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    out.push(`| ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${r.seconds.toFixed(3)} | ${r.rmse.toFixed(4)} | ${(r.rmse / bias.rmse).toFixed(4)} | ${(r.rmse / ridge.rmse).toFixed(4)} | ${(r.seconds / ours.seconds).toFixed(2)}× |`);
  }
  const met = ours.rmse <= 0.97 * bias.rmse && ours.rmse < ridge.rmse;
  out.push('', `Target (RMSE ≤ 0.97 × the bias model and below Ridge): **${met ? 'met' : 'not met'}** — ${ours.rmse.toFixed(4)} against ${(0.97 * bias.rmse).toFixed(4)} and ${ridge.rmse.toFixed(4)}.`);
  return out.join('\n');
}

function fmTable(rows: FmRow[]): string {
  const out: string[] = [];
  for (const task of ['binary', 'regression'] as const) {
    const group = rows.filter((r) => r.task === task);
    const binary = task === 'binary';
    const metric = (r: FmRow) => (binary ? r.logLoss! : r.rmse!);
    const ours = group[0];
    const linear = group.find((r) => r.implementation.includes('best linear model'))!;
    out.push(binary ? '**Late by 15+ minutes** (binary, log loss)' : '**Delay in minutes** (regression, RMSE)', '',
      `| implementation | seconds | non-zeros/s | test ${binary ? 'log loss' : 'RMSE'} | ÷ best linear |${binary ? ' AUC |' : ''} this ÷ boundless FM 1 pass (time) | peak RSS |`,
      `|---|---:|---:|---:|---:|${binary ? '---:|' : ''}---:|---:|`);
    for (const r of group) {
      out.push(`| ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${r.seconds.toFixed(2)} | ${r.nonZerosPerSecond ? Math.round(r.nonZerosPerSecond).toLocaleString('en-US') : ''} | ${metric(r).toFixed(4)} | ${(metric(r) / metric(linear)).toFixed(3)} |${binary ? ` ${r.auc!.toFixed(4)} |` : ''} ${(r.seconds / ours.seconds).toFixed(2)}× | ${r.peakRssMb ? `${Math.round(r.peakRssMb)} MB` : ''} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function pcaTable(rows: PcaRow[]): string {
  const lines = ['| implementation | seconds | largest relative error of explained variance | smallest \\|cos\\| to the reference components | this ÷ boundless (time) | peak RSS |', '|---|---:|---:|---:|---:|---:|'];
  const ours = rows[0];
  for (const r of rows) {
    const finished = Number.isFinite(r.varianceError);
    lines.push(`| ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${finished ? '' : '> '}${r.seconds.toFixed(2)} | ${finished ? r.varianceError.toExponential(1) : '—'} | ${finished ? r.componentCosine.toFixed(6) : '—'} | ${(r.seconds / ours.seconds).toFixed(2)}× | ${r.peakRssMb ? `${Math.round(r.peakRssMb)} MB` : ''} |`);
  }
  return lines.join('\n');
}

function kmeansTable(rows: KmeansRow[]): string {
  const lines = ['| k | implementation | seconds | inertia | inertia ÷ KMeans | this ÷ boundless train (time) | peak RSS |', '|---:|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const reference = rows.find((o) => o.k === r.k && o.implementation.startsWith('scikit-learn KMeans'));
    const ours = rows.find((o) => o.k === r.k && o.implementation.startsWith('boundless train'))!;
    const finished = Number.isFinite(r.inertia);
    lines.push(`| ${r.k} | ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${finished ? '' : '> '}${r.seconds.toFixed(2)} | ${finished ? Math.round(r.inertia).toLocaleString('en-US') : '—'} | ${reference && finished ? (r.inertia / reference.inertia).toFixed(4) : '—'} | ${finished ? '' : '> '}${(r.seconds / ours.seconds).toFixed(2)}× | ${r.peakRssMb ? `${Math.round(r.peakRssMb)} MB` : ''} |`);
  }
  return lines.join('\n');
}

function linearTable(rows: LinearRow[]): string {
  const lines = ['| data | implementation | seconds | rows/s | AUC | AUC − liblinear | this ÷ boundless 1 model (time) | peak RSS |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  const trainRows: Record<string, number> = { flights: 160_000, hashed: 10_000_000 };
  for (const r of rows) {
    const ceiling = rows.find((o) => o.dataset === r.dataset && o.implementation.startsWith('liblinear'));
    const reference = rows.find((o) => o.dataset === r.dataset && o.implementation.startsWith('boundless, 1 model'))!;
    const rowsTrained = r.implementation.includes('1M rows') ? 1_000_000 : trainRows[r.dataset];
    lines.push(`| ${r.dataset} | ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${r.seconds.toFixed(3)} | ${Math.round(rowsTrained / r.seconds).toLocaleString('en-US')} | ${r.auc.toFixed(4)} | ${ceiling ? (r.auc - ceiling.auc).toFixed(4) : ''} | ${(r.seconds / reference.seconds).toFixed(2)}× | ${r.peakRssMb ? `${Math.round(r.peakRssMb)} MB` : ''} |`);
  }
  return lines.join('\n');
}

function parseTable(rows: ParseRow[]): string {
  const lines = ['| format | implementation | seconds | MB/s | records/s | boundless ÷ this (time) |', '|---|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const ours = rows.find((o) => o.format === r.format && o.implementation.startsWith('boundless'))!;
    lines.push(`| ${r.format} | ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${r.seconds.toFixed(2)} | ${r.mbPerSecond.toFixed(0)} | ${r.recordsPerSecond === null ? '' : Math.round(r.recordsPerSecond).toLocaleString('en-US')} | ${(r.seconds / ours.seconds).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

function memoryTable(memory: Record<string, unknown>[]): string {
  const lines = ['| CSV stream on stdin | records | seconds | peak RSS of the reader |', '|---:|---:|---:|---:|'];
  for (const m of memory) lines.push(`| ${m.streamGB} GB | ${Number(m.records).toLocaleString('en-US')} | ${Number(m.seconds).toFixed(1)} | ${m.peakRssMB} MB |`);
  return lines.join('\n');
}

const resultsDir = process.env.BOUNDLESS_BENCH_OUT ?? join(fileURLToPath(new URL('.', import.meta.url)), 'results');

function table(rows: Row[]): string {
  const lines = ['| shape | implementation | ms (median) | GFLOP/s | boundless cpu ÷ this (time) |', '|---|---|---:|---:|---:|'];
  for (const shape of shapes) {
    const group = rows.filter((r) => r.shape === shape.name);
    const reference = group[0];
    for (const r of group) {
      const ratio = r.ms / reference.ms;
      lines.push(`| ${shape.name} (${shape.rows}×${shape.cols}, ${shape.models} models) | ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${r.ms.toFixed(3)} | ${r.gflops.toFixed(2)} | ${ratio.toFixed(2)}× |`);
    }
  }
  return lines.join('\n');
}

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = requested.length > 0 ? requested : Object.keys(suites);
for (const name of names) {
  if (!suites[name]) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(suites).join(', ')}`);
}
mkdirSync(resultsDir, { recursive: true });
const machine = describeMachine();
for (const name of names) {
  process.stderr.write(`running ${name} ...\n`);
  const result = await suites[name]();
  const markdown = [
    `# ${name}`, '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date}.`,
    result.legend ?? 'The last column is how many times longer each implementation takes than boundless; above 1× means boundless is faster.',
    '', result.markdown, '',
  ].join('\n');
  writeFileSync(join(resultsDir, `${name}.md`), markdown);
  writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ machine, ...(result.json as object) }, null, 2) + '\n');
  process.stdout.write(markdown + '\n');
}
