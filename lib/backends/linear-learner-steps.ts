// The per-step constants of the linear learner's training, computed on the host
// for a GPU kernel (webgpu-linear-learner-update.ts) as the cpu kernel computes
// them in float64 before each optimizer step (native/algorithms/linear_learner/
// linear_learner.cc: LearningRate, ProximalConstants, PositiveWeight, StepRates,
// CountClasses and the start of averaging in Update), together with the state's
// host-side counters those steps advance: step and rows, the class counts, the
// start of averaging. The device then needs no float64.
import type { Batch } from '../data/batch.js';
import type { LinearLearnerArrays, LinearLearnerSettings } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';

/** Words per model per step: lr, decay, threshold, t, φ(t), g, positive weight, bias lr, bias decay (train.wgsl, ll_update.cuh). */
export const modelWords = 9;

const counter = { step: 0, rows: 1, scalerRows: 2 } as const;
const softmaxLoss = 2;
const logisticLoss = 0;
const hingeLoss = 1;

/** φ(x) = (e^−x − 1 + x)/x² (linear_learner_shrink.h's Phi): its series below 0.5, the direct form above. */
function phi(x: number, power: number): number {
  if (x >= 0.5) return (power - 1 + x) / (x * x);
  let series = 1 / 1307674368000;
  for (const factorial of [87178291200, 6227020800, 479001600, 39916800, 3628800, 362880, 40320, 5040, 720, 120, 24, 6, 2]) {
    series = series * -x + 1 / factorial;
  }
  return series;
}

/** Model m's rate at step `step` (1-based): the per-pass scale, the step schedule, the floor at lr_scheduler_minimum. */
function learningRate(s: LinearLearnerSettings, base: number, step: number): number {
  const floor = Math.min(base, s.lrSchedulerMinimum);
  const lr = Math.max(base * (s.rateScale ?? 1), floor);
  if (!s.useLrScheduler) return lr;
  const decays = Math.floor((step - 1) / s.lrSchedulerStep);
  return Math.max(lr * Math.pow(s.lrSchedulerFactor, decays), floor);
}

/** The positive-class weight of model m from the class counts so far (binary). */
function positiveWeight(s: LinearLearnerSettings, a: LinearLearnerArrays, counts: Float64Array | undefined, m: number): number {
  if (!a.positiveWeight) return 1;
  const given = a.positiveWeight[m];
  const ratio = counts && counts[1] > 0 && counts[0] > 0 ? counts[0] / counts[1] : 1;
  switch (s.positiveWeighting) {
    case 0: return given;
    case 1: return given * ratio;
    default: return Math.pow(ratio, given);
  }
}

/** train.wgsl's Step block: one optimizer step's rows, number, averaging and corrections. */
export interface StepBlock {
  rowBegin: number;
  rows: number;
  t: number;
  /** The step after which iterates are averaged; −1: not yet. */
  start: number;
  recency: number;
}

export interface PlannedSteps<Table extends Float32Array | Float64Array = Float32Array> {
  steps: StepBlock[];
  /** steps × models × modelWords: float32 for webgpu, float64 (cpu's own values) for cuda. */
  table: Table;
  /** The host-side arrays after the batch: counters, class counts, average start (committed once enqueued). */
  counters: Float64Array;
  classCounts?: Float64Array;
  averageStart?: Float64Array;
}

/** The classes a state counts: softmax's every class, else 2 (label 1 and the rest). */
export function countedClasses(s: LinearLearnerSettings): number {
  return s.loss === softmaxLoss ? s.classes : 2;
}

/**
 * The steps of a batch of `rows` rows whose scaler sample is complete (no step refines the scaler), from the
 * state's host-side arrays, which are not changed: `commit` writes the result into them. stepClasses: each
 * step's rows per counted class (steps × countedClasses), counted off the event loop by linearLearnerStepIndex.
 */
export function planSteps(s: LinearLearnerSettings, a: LinearLearnerArrays, stepClasses: Float64Array, rows: number): PlannedSteps;
export function planSteps(s: LinearLearnerSettings, a: LinearLearnerArrays, stepClasses: Float64Array, rows: number, table: typeof Float64Array): PlannedSteps<Float64Array>;
export function planSteps(s: LinearLearnerSettings, a: LinearLearnerArrays, stepClasses: Float64Array, rows: number,
  tableType: typeof Float32Array | typeof Float64Array = Float32Array): PlannedSteps<Float32Array | Float64Array> {
  const stepRows = s.stepRows && s.stepRows > 0 ? s.stepRows : Math.max(1, rows);
  const count = Math.ceil(rows / stepRows);
  const counters = Float64Array.from(a.counters!);
  const classCounts = a.classCounts ? Float64Array.from(a.classCounts) : undefined;
  const averageStart = a.averageStart ? Float64Array.from(a.averageStart) : undefined;
  const table = new tableType(count * s.models * modelWords);
  const steps: StepBlock[] = [];
  const norm = s.normalizeLr && a.inputNorm && a.inputNorm[2] > 0 ? a.inputNorm[2] : 1;
  const biasLrMult = Math.fround(s.biasLrMult);
  const biasWdMult = Math.fround(s.biasWdMult);
  for (let i = 0; i < count; i++) {
    const rowBegin = i * stepRows;
    const stepEnd = Math.min(rows, rowBegin + stepRows);
    if (classCounts) {
      for (let c = 0; c < classCounts.length; c++) classCounts[c] += stepClasses[i * classCounts.length + c];
    }
    if (averageStart && averageStart[0] === 0 && counters[counter.scalerRows] >= s.scalerPoints) averageStart[0] = counters[counter.step] + 1;
    const t = counters[counter.step] + 1;
    for (let m = 0; m < s.models; m++) {
      const lr = learningRate(s, a.learningRate![m], t) / norm;
      const wd = a.wd![m];
      const decay = Math.max(0, 1 - lr * wd);
      const logDecay = decay > 0 ? -Math.log1p(-lr * wd) : 87;
      const phiT = phi(logDecay, Math.exp(-logDecay));
      const biasLr = lr * biasLrMult;
      const binary = s.loss === logisticLoss || s.loss === hingeLoss;
      table.set([lr, decay, lr * a.l1![m], logDecay, phiT, 1 - logDecay * phiT,
        binary ? positiveWeight(s, a, classCounts, m) : 1, biasLr, Math.max(0, 1 - biasLr * wd * biasWdMult)], (i * s.models + m) * modelWords);
    }
    const start = averageStart && averageStart[0] > 0 ? averageStart[0] - 1 : -1;
    steps.push({ rowBegin, rows: stepEnd - rowBegin, t, start, recency: counters[counter.rows] + 1 });
    counters[counter.step] = t;
    counters[counter.rows] += stepEnd - rowBegin;
  }
  return { steps, table, counters, classCounts, averageStart };
}

/** Writes a plan's host-side arrays into the state's. */
export function commitSteps(a: LinearLearnerArrays, plan: PlannedSteps<Float32Array | Float64Array>): void {
  a.counters!.set(plan.counters);
  if (plan.classCounts) a.classCounts!.set(plan.classCounts);
  if (plan.averageStart) a.averageStart!.set(plan.averageStart);
}

/** What linearLearnerStepIndex gives a GPU backend for a batch (stepIndexOf). */
export interface StepIndex {
  /** The sparse batch's step index (reused from `held` when large enough). */
  index: Uint32Array;
  /** dim entries, all −1 between calls (reused from `held`). */
  slot: Int32Array;
  /** The checks' extents: longest row, largest value, label and weight, touched features, largest scaled value. */
  result: Float64Array;
  /** Each step's rows per counted class (steps × countedClasses). */
  stepClasses: Float64Array;
}

/**
 * The cpu kernel's checks (the same errors, before anything is enqueued), the step index, the
 * largest scaled value and each step's class counts, on a libuv thread: what cuda's and webgpu's
 * update kernels both take from a batch before planning its steps.
 */
export async function stepIndexOf(s: LinearLearnerSettings, a: LinearLearnerArrays, batch: Batch,
  held?: { index: Uint32Array; slot: Int32Array }): Promise<StepIndex> {
  const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
  const steps = Math.ceil(batch.rows / Math.max(1, s.stepRows || batch.rows));
  const capacity = steps + 2 + 4 * nnz;
  let index = held?.index;
  if (!index || index.length < capacity) index = new Uint32Array(2 ** Math.ceil(Math.log2(Math.max(2, capacity))));
  const slot = held?.slot ?? new Int32Array(s.dim).fill(-1);
  const result = new Float64Array(6);
  const stepClasses = new Float64Array(steps * countedClasses(s));
  await loadCoreAddon().linearLearnerStepIndex(s, batch, slot, index, result, a.featureShift ?? null, a.featureScale ?? null, stepClasses);
  return { index, slot, result, stepClasses };
}

