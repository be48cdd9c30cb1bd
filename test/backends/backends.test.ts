import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseLinearTolerance, linearLearner, listBackends, resolveBackend, train,
  type Backend, type DenseLinearInputs,
} from '../../lib/index.js';
import { WebGpuBackend } from '../../lib/backends/webgpu.js';
import { withEnv } from '../fixtures/with-env.js';

/** Deterministic pseudo-random floats in [-1, 1). */
function values(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** Float64 reference and the agreement bound of denseLinearTolerance for each output. */
function reference(inputs: DenseLinearInputs): { exact: Float64Array; bound: Float64Array } {
  const { rows, cols, models, x, w, bias } = inputs;
  const exact = new Float64Array(rows * models);
  const bound = new Float64Array(rows * models);
  for (let r = 0; r < rows; r++) {
    for (let m = 0; m < models; m++) {
      let sum = bias ? bias[m] : 0;
      let magnitude = bias ? Math.abs(bias[m]) : 0;
      for (let c = 0; c < cols; c++) {
        sum += x[r * cols + c] * w[m * cols + c];
        magnitude += Math.abs(x[r * cols + c] * w[m * cols + c]);
      }
      exact[r * models + m] = sum;
      bound[r * models + m] = denseLinearTolerance.relTol * magnitude + denseLinearTolerance.absTol;
    }
  }
  return { exact, bound };
}

const shapes: [string, number, number, number, boolean][] = [
  // name, rows, cols, models, bias
  ['one row, one model', 1, 1, 1, false],
  ['columns off the SIMD width', 67, 37, 3, true],
  ['linear-learner-like: 32 models', 200, 128, 32, true],
  ['long rows', 5, 4099, 2, false],
  ['no columns (bias only)', 9, 0, 4, true],
  ['more outputs than one dispatch dimension holds', 70001, 3, 64, true],
];

describe('backends', () => {
  it('lists cpu, cuda and webgpu, highest priority first, each with a reason', async () => {
    const reports = await listBackends();
    assert.deepEqual(reports.map((r) => r.name), ['cuda', 'webgpu', 'cpu']);
    for (const report of reports) {
      assert.equal(typeof report.available, 'boolean');
      assert.ok(report.reason.length > 0, `${report.name} gives a reason`);
    }
    const cpu = reports.find((r) => r.name === 'cpu')!;
    assert.equal(cpu.available, true);
    assert.match(cpu.reason, /^core addon loaded \((baseline|avx2|avx512), \d+ threads\)$/);
  });

  it('auto picks the best preferred backend, and cpu when no GPU is present', async () => {
    const reports = await listBackends();
    const expected = reports.find((r) => r.available && r.preferred)!.name;
    const backend = await withEnv('BOUNDLESS_BACKEND', undefined, () => resolveBackend());
    assert.equal(backend.name, expected);
    await backend.dispose();
  });

  it('BOUNDLESS_BACKEND forces a backend and fails loudly when it is unavailable', async () => {
    const cpu = await withEnv('BOUNDLESS_BACKEND', 'cpu', () => resolveBackend());
    assert.equal(cpu.name, 'cpu');
    const unavailable = (await listBackends()).find((r) => !r.available);
    if (unavailable) {
      await assert.rejects(withEnv('BOUNDLESS_BACKEND', unavailable.name, () => resolveBackend()),
        new RegExp(`^Error: BOUNDLESS_BACKEND=${unavailable.name} was requested but backend '${unavailable.name}' is unavailable: `));
    }
    await assert.rejects(withEnv('BOUNDLESS_BACKEND', 'tpu', () => resolveBackend()),
      /^Error: BOUNDLESS_BACKEND: 'tpu' is not a backend; expected one of auto, cpu, cuda, webgpu$/);
  });

  it('an explicit backend argument wins over BOUNDLESS_BACKEND', async () => {
    const backend = await withEnv('BOUNDLESS_BACKEND', 'webgpu', () => resolveBackend('cpu'));
    assert.equal(backend.name, 'cpu');
  });

  it('train() takes a Backend as well as a name, runs its kernels there and leaves it open', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-backend-option-'));
    try {
      const path = join(directory, 'rows.csv');
      await writeFile(path, Array.from({ length: 400 }, (_, i) => `${i % 2},${(i % 2) * 2 + Math.sin(i)},${Math.cos(i)}`).join('\n') + '\n');
      const hp = { predictor_type: 'binary_classifier', num_models: 2 };
      const webgpu = (await listBackends()).find((r) => r.name === 'webgpu')!.available;
      const backend = await createBackend(webgpu ? 'webgpu' : 'cpu');
      try {
        const first = await train(linearLearner, hp, { train: path, epochs: 1, backend });
        assert.equal(first.metrics.kernels.linearLearnerUpdate!.backend, backend.name);
        // The run's counts are its own (not the backend's since it was made), and the backend still runs.
        const second = await train(linearLearner, hp, { train: path, epochs: 1, backend });
        assert.deepEqual(second.metrics.kernels.linearLearnerUpdate, first.metrics.kernels.linearLearnerUpdate);
        assert.equal(first.model!.backend, backend);
      } finally {
        await backend.dispose();
      }
      await assert.rejects(train(linearLearner, hp, { train: path, epochs: 1, backend: { name: 'cpu' } as never }),
        /^TypeError: train: options\.backend must be a backend name \(auto, cpu, cuda, webgpu\) or a Backend \(createBackend\), got an object that is neither$/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('says why cuda is unavailable on a machine without an NVIDIA driver', async function () {
    const cuda = (await listBackends()).find((r) => r.name === 'cuda')!;
    if (cuda.available) this.skip();
    assert.match(cuda.reason, /CUDA addon not built|cudaGetDeviceCount: cudaError\w+ \(.+, code \d+\)|no CUDA device|no NVIDIA device node/);
  });

  it('validates kernel inputs the same way on every backend', async () => {
    const cpu = await createBackend('cpu');
    await assert.rejects(cpu.run('denseLinear', { x: new Float32Array(5), w: new Float32Array(2), rows: 2, cols: 2, models: 1 }),
      /^RangeError: denseLinear: x has length 5, expected 4$/);
    await assert.rejects(cpu.run('denseLinear', { x: [1, 2] as never, w: new Float32Array(2), rows: 1, cols: 2, models: 1 }),
      /^TypeError: denseLinear: x must be a Float32Array, got Array$/);
  });

  describe('denseLinear on every available backend matches a float64 reference', () => {
    let backends: Backend[] = [];
    before(async () => {
      const available = (await listBackends()).filter((r) => r.available);
      backends = await Promise.all(available.map((r) => createBackend(r.name)));
    });
    after(async () => { for (const backend of backends) await backend.dispose(); });

    for (const [name, rows, cols, models, hasBias] of shapes) {
      it(`${name} (${rows}×${cols}, ${models} models)`, async () => {
        const inputs: DenseLinearInputs = {
          x: values(rows * cols, rows + cols), w: values(models * cols, models * 31 + cols),
          bias: hasBias ? values(models, 5) : null, rows, cols, models,
        };
        const { exact, bound } = reference(inputs);
        for (const backend of backends) {
          // 143M emulated GPU threads (a warp per output) would take minutes on the CPU emulation.
          if (backend.details.emulated && rows * models > 100_000) continue;
          const out = await backend.run('denseLinear', inputs);
          assert.equal(out.length, rows * models);
          let failures = 0;
          let first = '';
          for (let i = 0; i < out.length; i++) {
            if (!(Math.abs(out[i] - exact[i]) <= bound[i])) {
              if (failures++ === 0) first = `output ${i}: ${out[i]} vs ${exact[i]} (bound ${bound[i]})`;
            }
          }
          assert.equal(failures, 0, `${backend.name}: ${failures} outputs outside tolerance; first ${first}`);
        }
      });
    }

    it('webgpu splits inputs larger than one storage binding into chunks', async function () {
      const webgpu = backends.find((b) => b.name === 'webgpu') as WebGpuBackend | undefined;
      if (!webgpu) this.skip();
      const rows = 300, cols = 40, models = 3;
      const inputs: DenseLinearInputs = { x: values(rows * cols, 1), w: values(models * cols, 2), bias: values(models, 3), rows, cols, models };
      const limit = webgpu.bindingLimitBytes;
      webgpu.bindingLimitBytes = 16 * cols * 4; // 16 rows per chunk: 19 chunks
      try {
        const out = await webgpu.run('denseLinear', inputs);
        const { exact, bound } = reference(inputs);
        for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i] - exact[i]) <= bound[i], `output ${i}`);
      } finally {
        webgpu.bindingLimitBytes = limit;
      }
    });
  });
});

describe('expected backends (BOUNDLESS_EXPECT_BACKENDS, set by npm run test:gpu)', () => {
  it('every backend the environment expects is available', async function () {
    const expected = (process.env.BOUNDLESS_EXPECT_BACKENDS ?? '').split(',').filter(Boolean);
    if (expected.length === 0) this.skip();
    const reports = await listBackends();
    for (const name of expected) {
      const report = reports.find((r) => r.name === name);
      assert.ok(report?.available, `${name} expected but unavailable: ${report?.reason ?? 'not registered'}`);
    }
  });
});
