// The webgpu backend's row kernels (row-kernels.ts says what they compute and
// how inputs are checked): WGSL in kernels/wgsl/, run by webgpu-dispatch.ts.
import { paramWords, registerRowKernels, type RowKernelName, type RowParam } from './row-kernels.js';
import type { WebGpuBackend } from './webgpu.js';

const shaders: Record<RowKernelName, string> = {
  kmeansAssign: 'kmeans/assign',
  pcaProject: 'pca/project',
  linearLearnerPredict: 'linear_learner/predict',
  fmPredict: 'factorization_machines/predict',
};

/** A uniform block's words after the row header, padded to 16 bytes. */
function uniformWords(params: RowParam[]): ArrayBuffer {
  const words = paramWords(params);
  const block = new Uint32Array(Math.ceil(words.length / 4) * 4);
  block.set(words);
  return block.buffer;
}

/**
 * Mesa's llvmpipe (and, to be safe, every software adapter) stops a shader invocation's loops after
 * 65,535 iterations in all, silently; a row that needs more is flagged and declined. A little is
 * kept back for the loops the kernels' counts leave out.
 */
const softwareLoopLimit = 65_000;

registerRowKernels<WebGpuBackend>('webgpu', (backend) => ({
  limitBytes: backend.bindingLimitBytes,
  float32: true,
  run: async (call) => backend.rows.run({
    pipeline: await backend.pipeline(shaders[call.kernel]), batch: call.batch, model: call.model,
    outputWords: call.outputWords, uniform: uniformWords(call.params),
    maxLoop: backend.details.software === true ? softwareLoopLimit : 0xffffffff,
  }),
}));
