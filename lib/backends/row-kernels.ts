// The row kernels GPU backends share: predictions of finalized models —
// k-means assignment, PCA projection, linear-learner and factorization-machine
// scores — one GPU thread per row over a dense or CSR batch, in f32. What a
// call needs is worked out here once (the model's arrays, the output's size,
// the kernel's parameters, how the output is read back); each backend supplies
// an executor that runs it (webgpu: WGSL in kernels/wgsl/, cuda: kernels/cuda/rows/).
// Rows the GPU flags as bad input get the cpu kernel's own error; calls a GPU
// kernel does not take (a sparse row with unsorted indices where the kernel walks
// the columns, a buffer past a device limit) are declined: runKernel then runs
// cpu, or under strict mode says so.
import type { Batch } from '../data/batch.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { registerKernel, type Backend, type BackendName } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';

export type RowKernelName = 'kmeansAssign' | 'pcaProject' | 'linearLearnerPredict' | 'fmPredict';

/** A parameter of a row kernel, in the order its shader or CUDA kernel reads them: one 32-bit word, or two for an f64. */
export type RowParam = { u32: number } | { f32: number } | { f64: number };

/** The parameters as 32-bit words, little-endian (an f64 as two). */
export function paramWords(params: RowParam[]): Uint32Array {
  const words = params.reduce((n, param) => n + ('f64' in param ? 2 : 1), 0);
  const view = new DataView(new ArrayBuffer(words * 4));
  let at = 0;
  for (const param of params) {
    if ('f64' in param) {
      view.setFloat64(at, param.f64, true);
      at += 8;
      continue;
    }
    if ('f32' in param) view.setFloat32(at, param.f32, true);
    else view.setUint32(at, param.u32, true);
    at += 4;
  }
  return new Uint32Array(view.buffer);
}

/** The flags a row kernel raises: the lowest row that raised each, or null (kernels/wgsl/common/rows.wgsl). */
export interface RowFlags {
  /** A feature is not finite. */
  nonFinite: number | null;
  /** A sparse feature index is not below the width. */
  badIndex: number | null;
  /** A sparse row's indices do not strictly increase (valid, but the kernels that walk the columns need them so). */
  unsorted: number | null;
  /** A row's indptr decreases or runs past the entries. */
  badIndptr: number | null;
  /** A result float32 cannot give to 1e-4 of max(|value|, 1) (its error estimate is larger), or past float32's range. */
  inexact: number | null;
  /** A row needs more loop iterations than the adapter runs (Mesa's llvmpipe: 65,535 in all per invocation). */
  loopLimit: number | null;
}

/** How many flags a row kernel writes. */
export const flagCount = 6;

export const noRow = 0xffffffff;

/** The flags from the words a kernel wrote (noRow: not raised). */
export function flagsOf(words: Uint32Array): RowFlags {
  const row = (i: number) => (words[i] === noRow ? null : words[i]);
  return { nonFinite: row(0), badIndex: row(1), unsorted: row(2), badIndptr: row(3), inexact: row(4), loopLimit: row(5) };
}

export interface RowCall {
  kernel: RowKernelName;
  batch: Batch;
  /** The model's arrays, one after another (each a whole number of 32-bit words). */
  model: (Float32Array | Int32Array | Uint32Array)[];
  /** 32-bit words of output the kernel writes. */
  outputWords: number;
  params: RowParam[];
  /** The kernel walks sparse rows beside the columns: their indices must strictly increase. */
  sorted: boolean;
}

export interface RowResult {
  /** The output words. */
  output: ArrayBuffer;
  flags: RowFlags;
}

/** How one backend runs row kernels. */
export interface RowExecutor {
  /** The largest buffer one call may bind (undefined: no limit but the device's memory). */
  limitBytes?: number;
  /** The kernels sum in float32: a linear model's dense rows are scored about an origin (linearOrigin). */
  float32?: boolean;
  run(call: RowCall): Promise<RowResult>;
}

/** Where a batch's parts sit when packed in one buffer of 32-bit words (dense values; or indptr, indices, values). */
export interface BatchLayout {
  sparse: boolean;
  rows: number;
  cols: number;
  nnz: number;
  words: number;
}

export function batchLayout(batch: Batch): BatchLayout {
  if (batch.kind === 'series') throw new RangeError('a batch of time series has no rows of features');
  if (batch.kind === 'dense') return { sparse: false, rows: batch.rows, cols: batch.cols, nnz: 0, words: batch.rows * batch.cols };
  const nnz = batch.rows > 0 ? batch.indptr[batch.rows] : 0;
  return { sparse: true, rows: batch.rows, cols: batch.cols, nnz, words: batch.rows + 1 + 2 * nnz };
}

/** Runs the cpu kernel for its error message on inputs a GPU kernel rejected; declines if cpu takes them after all. */
async function refuseAsCpu<K extends RowKernelName>(kernel: K, inputs: KernelInputs[K], why: string): Promise<never> {
  await sharedCpuBackend().run(kernel, inputs);
  throw new KernelDeclined(kernel, why);
}

/** Whether the batch's arrays hold what its shape says (the GPU kernels trust the layout). */
function wellFormed(batch: Batch, width: number): boolean {
  if (batch.kind === 'series' || batch.cols !== width || !Number.isSafeInteger(batch.rows) || batch.rows < 0) return false;
  if (batch.kind === 'dense') return batch.values.length >= batch.rows * batch.cols;
  if (batch.indptr.length < batch.rows + 1 || batch.indptr[0] !== 0) return false;
  const nnz = batch.indptr[batch.rows];
  return nnz >= 0 && nnz <= batch.indices.length && nnz <= batch.values.length;
}

/** What one kernel's call needs, from its inputs. */
interface RowPlan {
  width: number;
  /** Shape checks of the kernel's own arrays (false: the cpu kernel says what is wrong). */
  arraysFit: boolean;
  call: Omit<RowCall, 'kernel' | 'batch'>;
  /** Copies the output words into the kernel's output arrays. */
  deliver(output: ArrayBuffer): void;
}

async function runPlan<K extends RowKernelName>(executor: RowExecutor, kernel: K, inputs: KernelInputs[K], batch: Batch, plan: RowPlan): Promise<void> {
  if (!plan.arraysFit || !wellFormed(batch, plan.width)) return refuseAsCpu(kernel, inputs, 'inputs the GPU kernel cannot lay out');
  if (batch.rows === 0) return;
  const largest = Math.max(plan.call.model.reduce((sum, array) => sum + array.byteLength, 0), batchLayout(batch).words * 4, plan.call.outputWords * 4);
  if (executor.limitBytes !== undefined && largest > executor.limitBytes) {
    throw new KernelDeclined(kernel, `a buffer of ${largest} bytes is over this device's binding limit of ${executor.limitBytes} bytes`);
  }
  const { output, flags } = await executor.run({ kernel, batch, ...plan.call });
  const bad = [flags.nonFinite, flags.badIndex, flags.badIndptr].filter((row) => row !== null) as number[];
  if (bad.length > 0) await refuseAsCpu(kernel, inputs, `row ${Math.min(...bad)} is not valid input`);
  if (flags.unsorted !== null) {
    throw new KernelDeclined(kernel, `sparse row ${flags.unsorted}'s feature indices do not strictly increase (the GPU kernel walks them beside the columns)`);
  }
  if (flags.loopLimit !== null) {
    throw new KernelDeclined(kernel, `row ${flags.loopLimit} needs more loop iterations than this adapter runs (Mesa's llvmpipe stops a shader's loops after 65,535 in all)`);
  }
  if (flags.inexact !== null) {
    throw new KernelDeclined(kernel, `row ${flags.inexact}'s result is not accurate to 1e-4 in float32 (features far from the origin, or values past float32's range or below its normal range); cpu computes it in float64`);
  }
  plan.deliver(output);
}

const softmaxLoss = 2;

/**
 * The origin o a linear model's dense rows are scored about, and base_c = bias_c + o·w_c in float64:
 * the first dense row it scores, kept per model (its weights array; a finalized model's arrays do
 * not change). Rows near o — data far from the origin but near each other — then keep their digits.
 */
const linearOrigins = new WeakMap<Float32Array, { origin: Float32Array; base: Float32Array }>();

function linearOrigin(model: KernelInputs['linearLearnerPredict']['model'], batch: Batch): { origin: Float32Array; base: Float32Array } | undefined {
  const held = linearOrigins.get(model.weights);
  if (held || batch.kind !== 'dense' || batch.rows === 0 || batch.cols !== model.dim || batch.values.length < model.dim) return held;
  const origin = batch.values.slice(0, model.dim);
  const base = new Float32Array(model.classes);
  for (let c = 0; c < model.classes; c++) {
    let sum = model.bias[c];
    for (let j = 0; j < model.dim; j++) sum += origin[j] * model.weights[j * model.classes + c];
    base[c] = sum;
  }
  // Only a finite row with a base float32 holds is an origin (a bad first row is cpu's to report).
  if (!origin.every(Number.isFinite) || !base.every(Number.isFinite)) return undefined;
  linearOrigins.set(model.weights, { origin, base });
  return { origin, base };
}

const plans: { [K in RowKernelName]: (inputs: KernelInputs[K], executor: RowExecutor) => RowPlan } = {
  kmeansAssign: ({ centers, count, dim, batch, nearest, distance2, all }) => ({
    width: dim,
    arraysFit: count > 0 && centers.length === count * dim && nearest.length >= batch.rows && distance2.length >= batch.rows && (!all || all.length >= batch.rows * count),
    call: { model: [centers], outputWords: batch.rows * (2 + (all ? count : 0)), params: [{ u32: count }, { u32: all ? 1 : 0 }], sorted: true },
    deliver(output) {
      const rows = batch.rows;
      nearest.set(new Int32Array(output, 0, rows));
      distance2.set(new Float32Array(output, rows * 4, rows));
      all?.set(new Float32Array(output, 2 * rows * 4, rows * count));
    },
  }),
  pcaProject: ({ model, dim, components, batch, out }) => ({
    width: dim,
    arraysFit: model.rows.length === components * dim && model.mean.length === dim && out.length >= batch.rows * components,
    call: { model: [model.rows, model.mean], outputWords: batch.rows * components, params: [{ u32: components }], sorted: true },
    deliver: (output) => out.set(new Float32Array(output, 0, batch.rows * components)),
  }),
  linearLearnerPredict: ({ model, batch, outputs }, executor) => {
    const width = model.loss === softmaxLoss ? model.classes : 1;
    const label = outputs.predictedLabel;
    const arraysFit = model.classes > 0 && model.weights.length === model.dim * model.classes && model.bias.length === model.classes
      && outputs.score.length >= batch.rows * width && (!label || label.length >= batch.rows)
      && (!model.origin || model.origin.length === model.dim);
    // A model with an origin is scored about it (model words: weights, bias, origin) on dense rows;
    // its sparse rows, whose absent features sit at 0, start from bias − origin·w, which float32
    // cannot hold for data far from 0: cpu folds it in float64. A model without one is scored, in
    // float32, about its first dense row (weights, base, origin), in float64 about 0 (weights, bias).
    if (arraysFit && model.origin && batch.kind === 'sparse') {
      throw new KernelDeclined('linearLearnerPredict', 'sparse rows for a model that scores about its training data\'s mean (trained with centring) start from a float64 fold cpu computes');
    }
    // A regressor's label origin joins its bias in float32 here: the outputs are float32, so this
    // rounding (half a float32 step of the labels' size) is within what a score keeps.
    const bias = model.labelOrigin ? Float32Array.of(model.bias[0] + model.labelOrigin) : model.bias;
    const parts = !arraysFit || batch.kind !== 'dense' ? undefined
      : model.origin ? { base: bias, origin: model.origin }
        : executor.float32 ? linearOrigin({ ...model, bias }, batch) : undefined;
    return {
      width: model.dim,
      arraysFit,
      call: {
        model: parts ? [model.weights, parts.base, parts.origin] : [model.weights, bias],
        outputWords: batch.rows * (width + (label ? 1 : 0)), sorted: false,
        // The threshold twice: float32 for WGSL, float64 for CUDA, which compares as cpu does.
        params: [{ u32: model.classes }, { u32: model.loss }, { f32: model.threshold }, { u32: label ? 1 : 0 }, { u32: parts ? 1 : 0 },
          { f64: model.threshold }],
      },
      deliver(output) {
        outputs.score.set(new Float32Array(output, 0, batch.rows * width));
        label?.set(new Float32Array(output, batch.rows * width * 4, batch.rows));
      },
    };
  },
  fmPredict: ({ model, batch, score, label }) => ({
    width: model.dim,
    arraysFit: model.linear.length === model.dim && model.factors.length === model.dim * model.k && score.length >= batch.rows && (!label || label.length >= batch.rows),
    call: {
      model: [model.linear, model.factors], outputWords: batch.rows * (label ? 2 : 1), sorted: false,
      params: [{ u32: model.k }, { u32: model.logistic ? 1 : 0 }, { f32: model.threshold ?? 0.5 }, { f32: model.bias }, { u32: label ? 1 : 0 }],
    },
    deliver(output) {
      score.set(new Float32Array(output, 0, batch.rows));
      label?.set(new Float32Array(output, batch.rows * 4, batch.rows));
    },
  }),
};

/** Registers the four row kernels for `backend`, run by the executor `executorOf` gives for a live backend. */
export function registerRowKernels<B extends Backend>(backend: BackendName, executorOf: (live: B) => RowExecutor): void {
  for (const kernel of Object.keys(plans) as RowKernelName[]) {
    registerKernel<typeof kernel, B>(backend, kernel, async (live, inputs) => {
      const executor = executorOf(live);
      const plan = (plans[kernel] as (i: typeof inputs, e: RowExecutor) => RowPlan)(inputs, executor);
      await runPlan(executor, kernel, inputs, (inputs as { batch: Batch }).batch, plan);
    });
  }
}
