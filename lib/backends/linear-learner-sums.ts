// Where a GPU backend keeps the linear learner's metric sums on the device:
// one buffer, the wanted sums one after another in a fixed order (the order of
// kernels/wgsl/linear_learner/metrics.wgsl's `at`, which the cuda kernels
// share), each entry two 32-bit words — a float-float pair under webgpu, one
// float64 under cuda — and how the host adds them into its float64 arrays
// when a state is settled.
import type { LinearLearnerMetrics, LinearLearnerSettings } from './kernels.js';

/** The offset of a sum the metrics object does not ask for. */
export const noSum = 0xffffffff;

/** The metric sums in the device's order: evaluation's twelve, then training's two more. */
const sumNames = ['lossSum', 'weightSum', 'correct', 'confusion', 'squaredError', 'absoluteError', 'topKCorrect', 'dcg',
  'classTruePositive', 'classPredicted', 'classActual', 'histogram', 'lossDifferenceSq', 'weightSqSum'] as const;
type SumName = (typeof sumNames)[number];
const evaluationSums = 12;

function sumLength(name: SumName, s: LinearLearnerSettings, metrics: LinearLearnerMetrics): number {
  switch (name) {
    case 'weightSum': case 'weightSqSum': return 1;
    case 'confusion': return 4 * s.models;
    case 'classTruePositive': case 'classPredicted': case 'classActual': return s.models * s.classes;
    case 'histogram': return s.models * 2 * (metrics.histogramBins ?? 0);
    default: return s.models;
  }
}

/**
 * 32-bit word offsets of the wanted sums (noSum for the others) and the buffer's words, two a sum: the evaluation's
 * sums, or with `training` the progressive ones (their differences from model 0 too).
 */
export function sumsLayout(s: LinearLearnerSettings, metrics: LinearLearnerMetrics, training = false): { at: number[]; words: number } {
  let words = 0;
  const at = sumNames.slice(0, training ? sumNames.length : evaluationSums).map((name) => {
    if (!metrics[name] || (name === 'histogram' && !metrics.histogramBins)) return noSum;
    const offset = words;
    words += 2 * sumLength(name, s, metrics);
    return offset;
  });
  return { at, words: Math.max(4, words) };
}

/** Adds the device's sums into the host's arrays; `entry(at)` reads the sum whose first word is at `at`. */
function addInto(entry: (at: number) => number, layout: { at: number[] }, s: LinearLearnerSettings, metrics: LinearLearnerMetrics): void {
  for (const [i, at] of layout.at.entries()) {
    const name = sumNames[i];
    const host = metrics[name] as Float64Array | undefined;
    if (at === noSum || !host) continue;
    for (let k = 0; k < sumLength(name, s, metrics); k++) host[k] += entry(at + 2 * k);
  }
}

/** webgpu's float-float sums (pairs laid out as sumsLayout says) added into the host's float64 arrays. */
export function addSumsInto(pairs: Float32Array, layout: { at: number[] }, s: LinearLearnerSettings, metrics: LinearLearnerMetrics): void {
  addInto((at) => pairs[at] + pairs[at + 1], layout, s, metrics);
}

/** cuda's float64 sums (sum i at word 2i, as sumsLayout says) added into the host's float64 arrays. */
export function addFloat64SumsInto(sums: Float64Array, layout: { at: number[] }, s: LinearLearnerSettings, metrics: LinearLearnerMetrics): void {
  addInto((at) => sums[at / 2], layout, s, metrics);
}

/**
 * Why a GPU evaluation declines a batch cpu alone scores right: sparse rows for a centred state
 * (trained on dense rows, or a model with an origin). Their absent features sit at −shift·scale,
 * and cpu adds that sum (millions for data far from 0) to each score in float64.
 */
export function centredSparseRefusal(s: LinearLearnerSettings, arrays: { featureShift?: Float32Array }, batch: { kind: string }): string | undefined {
  return batch.kind === 'sparse' && s.unbiasData && arrays.featureShift
    ? 'sparse rows for a centred state (trained on dense rows): their absent features sit at −shift, which cpu adds in float64'
    : undefined;
}
