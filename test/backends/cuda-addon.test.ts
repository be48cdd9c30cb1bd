// The CUDA addon must compile wherever nvcc exists (CI included) and, on a
// machine without a GPU, load and explain itself instead of crashing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cudaAddonPath, type CudaAddon } from '../../lib/backends/cuda.js';
import { packageRoot } from '../../lib/package-root.js';

const hasNvcc = spawnSync('sh', ['-c', 'command -v "${CUDACXX:-nvcc}"']).status === 0;

describe('cuda addon', function () {
  this.timeout(600_000);
  let addon: CudaAddon;

  before(function () {
    if (!hasNvcc) this.skip();
    // Incremental: a no-op when build-cuda/ is up to date.
    execFileSync('npm', ['run', 'build:cuda'], { cwd: packageRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    addon = createRequire(import.meta.url)(cudaAddonPath()) as CudaAddon;
  });

  it('builds with static cudart and reports the runtime version and devices', () => {
    const info = addon.deviceInfo();
    assert.ok(info.runtimeVersion >= 12000, `runtime ${info.runtimeVersion}`);
    if (info.available) {
      assert.ok(info.devices.length > 0);
      assert.match(info.devices[0].computeCapability, /^\d+\.\d+$/);
    } else {
      assert.match(info.reason, /^(cudaGetDeviceCount: cudaError\w+ \(.+, code \d+\)|no CUDA device)$/);
    }
  });

  it('checks arguments before touching the device', () => {
    assert.throws(() => addon.denseLinear(new Float32Array(5), new Float32Array(2), null, new Float32Array(2), 2, 2, 1),
      /^RangeError: cuda denseLinear: x has length 5, expected 4$/);
  });

  it('pcaMoments checks its arguments, and without a device says why it cannot open', () => {
    assert.throws(() => addon.pcaMomentsOpen(0), /^RangeError: cuda pcaMomentsOpen: dim must be in 1\.\.134217727$/);
    assert.throws(() => addon.pcaMomentsAdd({} as never, new Float32Array(4), null, null, 2), /^TypeError: cuda pcaMomentsAdd: argument handle must come from pcaMomentsOpen$/);
    assert.throws(() => addon.pcaMomentsClose(7 as never), /^TypeError: cuda pcaMomentsClose: argument handle must come from pcaMomentsOpen$/);
    if (!addon.deviceInfo().available) {
      assert.throws(() => addon.pcaMomentsOpen(4), /^Error: cuda pcaMomentsOpen: cudaSetDevice: cudaError\w+ \(/);
      return;
    }
    const handle = addon.pcaMomentsOpen(2);
    assert.throws(() => addon.pcaMomentsAdd(handle, new Float32Array(5), null, null, 2), /^RangeError: cuda pcaMomentsAdd: values has length 5, expected 4$/);
    assert.throws(() => addon.pcaMomentsAdd(handle, new Float32Array(4), new Float32Array(3), null, 2), /^RangeError: cuda pcaMomentsAdd: weights has length 3, expected 2$/);
    assert.throws(() => addon.pcaMomentsAdd(handle, new Float32Array(4), null, new Float64Array(3), 2), /^RangeError: cuda pcaMomentsAdd: origin has length 3, expected 2$/);
    addon.pcaMomentsClose(handle);
    assert.throws(() => addon.pcaMomentsAdd(handle, new Float32Array(4), null, null, 2), /^Error: cuda pcaMomentsAdd: the handle is closed$/);
  });

  it('selectDevice refuses a device that is not visible', () => {
    assert.throws(() => addon.selectDevice(7), /^RangeError: cuda selectDevice: device 7 is not one of the \d+ visible$/);
  });

  it('rowKernel checks its arguments before touching the device', () => {
    const dense = { kind: 'dense', rows: 2, cols: 3, values: new Float32Array(5) };
    const call = (kernel: string, batch: object, params = new Uint32Array([1, 0])) =>
      (addon.rowKernel as unknown as (...args: unknown[]) => Promise<Uint32Array>)(kernel, batch, [new Float32Array(3)], params, new Uint32Array(4));
    assert.throws(() => call('kmeansUpdate', dense), /^TypeError: cuda rowKernel: no row kernel 'kmeansUpdate'$/);
    assert.throws(() => call('kmeansAssign', dense), /^RangeError: cuda rowKernel: batch\.values has 5 entries, expected at least 6$/);
    const sparse = { kind: 'sparse', rows: 2, cols: 3, indptr: new Int32Array([0, 1, 3]), indices: new Uint32Array([0, 1]), values: new Float32Array(3) };
    assert.throws(() => call('kmeansAssign', sparse), /^RangeError: cuda rowKernel: batch\.indices has 2 entries, expected at least 3$/);
    assert.throws(() => call('kmeansAssign', { ...dense, values: new Float32Array(6) }, [1, 0] as never), /^TypeError: cuda rowKernel: params must be a Uint32Array$/);
    const fits = { ...dense, values: new Float32Array(6) };
    assert.throws(() => call('kmeansAssign', fits, new Uint32Array([1])), /^TypeError: cuda rowKernel: kmeansAssign takes 2 parameter words, got 1$/);
    // 2 centres of 3 columns need 6 model words; the call has 3 (one centre): refused before the device reads past them.
    assert.throws(() => call('kmeansAssign', fits, new Uint32Array([2, 0])),
      /^RangeError: cuda rowKernel: kmeansAssign with these parameters reads 6 model words and writes 4 output words; got 3 and 4$/);
    const run = addon.rowKernel as unknown as (...args: unknown[]) => Promise<Uint32Array>;
    assert.throws(() => run('pcaProject', fits, [new Float64Array(6)], new Uint32Array([1]), new Uint32Array(2)),
      /^TypeError: cuda rowKernel: model\[0\] must be a Float32Array, Int32Array or Uint32Array$/);
    assert.throws(() => run('pcaProject', { kind: 'dense', rows: 2 ** 31, cols: 0, values: new Float32Array(0) }, [new Float32Array(0)], new Uint32Array([1]), new Uint32Array(2)),
      /^RangeError: cuda rowKernel: a batch of 2147483648 rows of 0 columns; rows and columns must be below 2\^31$/);
  });

  it('rejects a row kernel with the CUDA error when there is no device', async function () {
    if (addon.deviceInfo().available) this.skip();
    await assert.rejects(addon.rowKernel('pcaProject', { kind: 'dense', rows: 1, cols: 2, values: new Float32Array(2) },
      [new Float32Array(2), new Float32Array(2)], new Uint32Array([1]), new Uint32Array(1)),
    /^Error: cuda rowKernel: cudaSetDevice: cudaError\w+ \(.+\)$/);
  });

  it('rejects the promise with the CUDA error when there is no device', async function () {
    if (addon.deviceInfo().available) this.skip();
    await assert.rejects(addon.denseLinear(new Float32Array(4), new Float32Array(2), null, new Float32Array(2), 2, 2, 1),
      /^Error: cuda denseLinear: cudaSetDevice: cudaError\w+ \(.+\)$/);
  });
});
