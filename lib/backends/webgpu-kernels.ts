// The webgpu backend's row kernels (row-kernels.ts says what they compute and
// how inputs are checked): WGSL in kernels/wgsl/, run by webgpu-dispatch.ts.
import { registerRowKernels, type RowKernelName, type RowParam } from './row-kernels.js';
import type { WebGpuBackend } from './webgpu.js';

const shaders: Record<RowKernelName, string> = {
  kmeansAssign: 'kmeans/assign',
  pcaProject: 'pca/project',
  linearLearnerPredict: 'linear_learner/predict',
  fmPredict: 'factorization_machines/predict',
};

/** A uniform block's words after the row header, padded to 16 bytes. */
function uniformWords(params: RowParam[]): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(Math.ceil(params.length / 4) * 16));
  params.forEach((param, i) => {
    if ('f32' in param) view.setFloat32(i * 4, param.f32, true);
    else view.setUint32(i * 4, param.u32, true);
  });
  return view.buffer;
}

/**
 * Mesa's llvmpipe (and, to be safe, every software adapter) stops a shader invocation's loops after
 * 65,535 iterations in all, silently; a row that needs more is flagged and declined. A little is
 * kept back for the loops the kernels' counts leave out.
 */
const softwareLoopLimit = 65_000;

registerRowKernels<WebGpuBackend>('webgpu', (backend) => ({
  limitBytes: backend.bindingLimitBytes,
  run: async (call) => backend.rows.run({
    pipeline: await backend.pipeline(shaders[call.kernel]), batch: call.batch, model: call.model,
    outputWords: call.outputWords, uniform: uniformWords(call.params),
    maxLoop: backend.details.software === true ? softwareLoopLimit : 0xffffffff,
  }),
}));
