// The kernel coverage table: for each algorithm's operation, the kernel that
// runs it and which backends implement that kernel, read from the kernel
// registry (so it cannot claim what is not registered). An operation a backend
// lacks runs on cpu and counts as a fallback (run-kernel.ts). The README's
// table is this one (`boundless backends --coverage`); a test keeps them equal.
import type { KernelName } from './kernels.js';
import { backendNames, hasKernel, type BackendName } from './registry.js';
import './select.js';  // registers every backend's kernels

export interface Operation {
  algorithm: string;
  operation: string;
  kernel: KernelName;
}

/** Every operation that runs per batch or per request, by algorithm, through the kernel registry. */
export const operations: readonly Operation[] = [
  { algorithm: 'linear-learner', operation: 'update', kernel: 'linearLearnerUpdate' },
  { algorithm: 'linear-learner', operation: 'evaluate', kernel: 'linearLearnerEvaluate' },
  { algorithm: 'linear-learner', operation: 'predict', kernel: 'linearLearnerPredict' },
  { algorithm: 'factorization-machines', operation: 'update', kernel: 'fmUpdate' },
  { algorithm: 'factorization-machines', operation: 'evaluate', kernel: 'fmEvaluate' },
  { algorithm: 'factorization-machines', operation: 'predict', kernel: 'fmPredict' },
  { algorithm: 'factorization-machines', operation: 'recommend', kernel: 'fmRecommend' },
  { algorithm: 'kmeans', operation: 'update (streaming centres)', kernel: 'kmeansUpdate' },
  { algorithm: 'kmeans', operation: 'predict, evaluate (nearest centre)', kernel: 'kmeansAssign' },
  { algorithm: 'pca', operation: 'update, regular (float64 moments)', kernel: 'pcaAccumulate' },
  { algorithm: 'pca', operation: 'update, randomized (sketch)', kernel: 'pcaRandomizedAccumulate' },
  { algorithm: 'pca', operation: 'update, frequent_directions (sketch)', kernel: 'pcaFrequentDirectionsAccumulate' },
  { algorithm: 'pca', operation: 'predict (projection)', kernel: 'pcaProject' },
  { algorithm: 'pca', operation: 'inverse transform', kernel: 'denseLinear' },
  { algorithm: 'ntm', operation: 'update', kernel: 'ntmUpdate' },
  { algorithm: 'ntm', operation: 'evaluate', kernel: 'ntmEvaluate' },
  { algorithm: 'ntm', operation: 'predict (topic weights)', kernel: 'ntmTopicWeights' },
  { algorithm: 'deepar', operation: 'update (window reservoir)', kernel: 'deeparOffer' },
  { algorithm: 'deepar', operation: 'end of epoch (optimizer steps)', kernel: 'deeparTrainRound' },
  { algorithm: 'deepar', operation: 'predict (sample paths)', kernel: 'deeparForecast' },
];

/** Whether `backend` runs `kernel` itself (true) or on cpu (false). */
export function covers(backend: BackendName, kernel: KernelName): boolean {
  return backend === 'cpu' || hasKernel(backend, kernel);
}

export interface CoverageRow extends Operation {
  backends: Record<BackendName, boolean>;
}

export function coverageTable(): CoverageRow[] {
  return operations.map((op) => ({
    ...op,
    backends: Object.fromEntries(backendNames.map((name) => [name, covers(name, op.kernel)])) as Record<BackendName, boolean>,
  }));
}

/** The table as Markdown: ✓ where the backend runs the kernel, "cpu" where it falls back. */
export function coverageMarkdown(): string {
  const columns = backendNames;
  const lines = [
    `| algorithm | operation | kernel | ${columns.join(' | ')} |`,
    `|---|---|---|${columns.map(() => '---').join('|')}|`,
  ];
  for (const row of coverageTable()) {
    const cells = columns.map((name) => (row.backends[name] ? '✓' : 'cpu'));
    lines.push(`| ${row.algorithm} | ${row.operation} | \`${row.kernel}\` | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
