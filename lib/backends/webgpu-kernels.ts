// The webgpu backend's row kernels: predictions of finalized models (k-means
// assignment, PCA projection, linear-learner and factorization-machine scores)
// as WGSL in kernels/wgsl/, one invocation per row, dense or CSR batches, f32
// arithmetic (tolerances in the README's coverage notes). Inputs the shaders
// find bad (a non-finite feature, an index past the width) get the cpu
// kernel's own error; inputs they do not take (a sparse row with unsorted
// indices where a kernel walks the columns, a buffer over one binding) are
// declined, so runKernel runs cpu or, in strict mode, says so.
import type { Batch } from '../data/batch.js';
import { KernelDeclined, type KernelInputs, type KernelName } from './kernels.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';
import { batchLayout, type RowFlags } from './webgpu-dispatch.js';
import type { WebGpuBackend } from './webgpu.js';

/** Runs the cpu kernel for its error message on inputs the shader rejected; declines if cpu takes them after all. */
async function refuseAsCpu<K extends KernelName>(kernel: K, inputs: KernelInputs[K], why: string): Promise<never> {
  await sharedCpuBackend().run(kernel, inputs);
  throw new KernelDeclined(kernel, why);
}

/** Whether the batch's arrays hold what its shape says (the shaders trust the layout). */
function wellFormed(batch: Batch, width: number): boolean {
  if (batch.kind === 'series' || batch.cols !== width || !Number.isSafeInteger(batch.rows) || batch.rows < 0) return false;
  if (batch.kind === 'dense') return batch.values.length >= batch.rows * batch.cols;
  if (batch.indptr.length < batch.rows + 1 || batch.indptr[0] !== 0) return false;
  const nnz = batch.indptr[batch.rows];
  return nnz >= 0 && nnz <= batch.indices.length && nnz <= batch.values.length;
}

interface RowKernel<K extends KernelName> {
  kernel: K;
  inputs: KernelInputs[K];
  batch: Batch;
  /** Columns the model expects. */
  width: number;
  /** Shape checks of the kernel's own arrays (false: the cpu kernel says what is wrong). */
  arraysFit: boolean;
  shader: string;
  model: (Float32Array | Int32Array | Uint32Array)[];
  outputWords: number;
  uniform: ArrayBuffer;
  /** The shader walks sparse rows beside the columns: their indices must strictly increase. */
  sorted: boolean;
}

/** Runs one row kernel: its output words, or undefined for a batch of no rows. */
async function runRows<K extends KernelName>(backend: WebGpuBackend, job: RowKernel<K>): Promise<ArrayBuffer | undefined> {
  const { kernel, inputs, batch } = job;
  if (!job.arraysFit || !wellFormed(batch, job.width)) return refuseAsCpu(kernel, inputs, 'inputs the webgpu kernel cannot lay out');
  if (batch.rows === 0) return undefined;
  const modelBytes = job.model.reduce((sum, array) => sum + array.byteLength, 0);
  const batchBytes = batchLayout(batch).words * 4;
  const largest = Math.max(modelBytes, batchBytes, job.outputWords * 4);
  if (!backend.rows.fits(largest)) {
    throw new KernelDeclined(kernel, `a buffer of ${largest} bytes is over this WebGPU device's storage binding limit of ${backend.bindingLimitBytes} bytes`);
  }
  const pipeline = await backend.pipeline(job.shader);
  const { output, flags } = await backend.rows.run({ pipeline, batch, model: job.model, outputWords: job.outputWords, uniform: job.uniform });
  await checkFlags(job, flags);
  return output;
}

async function checkFlags<K extends KernelName>(job: RowKernel<K>, flags: RowFlags): Promise<void> {
  const bad = [flags.nonFinite, flags.badIndex, flags.badIndptr].filter((row) => row !== null) as number[];
  if (bad.length > 0) await refuseAsCpu(job.kernel, job.inputs, `row ${Math.min(...bad)} is not valid input`);
  if (flags.unsorted !== null) {
    throw new KernelDeclined(job.kernel, `sparse row ${flags.unsorted}'s feature indices do not strictly increase (the webgpu kernel walks them beside the columns)`);
  }
}

/** A uniform block's words after the row header: u32s, with f32s where a number is not an integer. */
function words(values: { u32?: number; f32?: number }[]): ArrayBuffer {
  const size = Math.ceil(values.length / 4) * 4;
  const view = new DataView(new ArrayBuffer(size * 4));
  values.forEach((value, i) => {
    if (value.f32 !== undefined) view.setFloat32(i * 4, value.f32, true);
    else view.setUint32(i * 4, value.u32 ?? 0, true);
  });
  return view.buffer;
}

registerKernel<'kmeansAssign', WebGpuBackend>('webgpu', 'kmeansAssign', async (backend, inputs) => {
  const { centers, count, dim, batch, nearest, distance2, all } = inputs;
  const rows = batch.rows;
  const output = await runRows(backend, {
    kernel: 'kmeansAssign', inputs, batch, width: dim, shader: 'kmeans/assign', sorted: true,
    arraysFit: count > 0 && centers.length === count * dim && nearest.length >= rows && distance2.length >= rows && (!all || all.length >= rows * count),
    model: [centers], outputWords: rows * (2 + (all ? count : 0)),
    uniform: words([{ u32: count }, { u32: all ? 1 : 0 }]),
  });
  if (!output) return;
  nearest.set(new Int32Array(output, 0, rows));
  distance2.set(new Float32Array(output, rows * 4, rows));
  all?.set(new Float32Array(output, 2 * rows * 4, rows * count));
});

registerKernel<'pcaProject', WebGpuBackend>('webgpu', 'pcaProject', async (backend, inputs) => {
  const { model, dim, components, batch, out } = inputs;
  const output = await runRows(backend, {
    kernel: 'pcaProject', inputs, batch, width: dim, shader: 'pca/project', sorted: true,
    arraysFit: model.rows.length === components * dim && model.mean.length === dim && out.length >= batch.rows * components,
    model: [model.rows, model.mean], outputWords: batch.rows * components,
    uniform: words([{ u32: components }]),
  });
  if (output) out.set(new Float32Array(output, 0, batch.rows * components));
});

const softmaxLoss = 2;

registerKernel<'linearLearnerPredict', WebGpuBackend>('webgpu', 'linearLearnerPredict', async (backend, inputs) => {
  const { model, batch, outputs } = inputs;
  const rows = batch.rows;
  const width = model.loss === softmaxLoss ? model.classes : 1;
  const label = outputs.predictedLabel;
  const output = await runRows(backend, {
    kernel: 'linearLearnerPredict', inputs, batch, width: model.dim, shader: 'linear_learner/predict', sorted: false,
    arraysFit: model.classes > 0 && model.weights.length === model.dim * model.classes && model.bias.length === model.classes
      && outputs.score.length >= rows * width && (!label || label.length >= rows),
    model: [model.weights, model.bias], outputWords: rows * (width + (label ? 1 : 0)),
    uniform: words([{ u32: model.classes }, { u32: model.loss }, { f32: model.threshold }, { u32: label ? 1 : 0 }]),
  });
  if (!output) return;
  outputs.score.set(new Float32Array(output, 0, rows * width));
  label?.set(new Float32Array(output, rows * width * 4, rows));
});

registerKernel<'fmPredict', WebGpuBackend>('webgpu', 'fmPredict', async (backend, inputs) => {
  const { model, batch, score, label } = inputs;
  const rows = batch.rows;
  const output = await runRows(backend, {
    kernel: 'fmPredict', inputs, batch, width: model.dim, shader: 'factorization_machines/predict', sorted: false,
    arraysFit: model.linear.length === model.dim && model.factors.length === model.dim * model.k && score.length >= rows && (!label || label.length >= rows),
    model: [model.linear, model.factors], outputWords: rows * (label ? 2 : 1),
    uniform: words([{ u32: model.k }, { u32: model.logistic ? 1 : 0 }, { f32: model.threshold ?? 0.5 }, { f32: model.bias }, { u32: label ? 1 : 0 }]),
  });
  if (!output) return;
  score.set(new Float32Array(output, 0, rows));
  label?.set(new Float32Array(output, rows * 4, rows));
});
