// The package as a user gets it: packed, installed with --ignore-scripts
// into an empty project (so nothing compiles), imported. The addon must
// load from the prebuild in the tarball.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/package-root.js';
// @ts-expect-error: a plain ES module script without types
import { shippedBudgetBytes } from '../scripts/build-cuda.mjs';

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const hasNvcc = spawnSync('sh', ['-c', 'command -v "${CUDACXX:-nvcc}"']).status === 0;

describe('packaging', function () {
  this.timeout(600_000);
  let directory: string;
  /** The consumer project the first test installed the tarball into, and the tarball's files. */
  let installed: { project: string; files: string[] } | undefined;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-pack-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('installs from the tarball without a compiler and loads the prebuilt addon', async () => {
    const prebuilds = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
    const cudaPrebuild = join(packageRoot, 'prebuilds', 'cuda', `${process.platform}-${process.arch}`);
    if (!existsSync(prebuilds) || readdirSync(prebuilds).length === 0 || (hasNvcc && !existsSync(cudaPrebuild))) npm(['run', 'prebuild'], packageRoot);
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', directory], packageRoot)) as
      { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    for (const expected of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/distributed/worker-main.js', 'binding.gyp', 'native/addon.cc',
      'native/runtime/thread_pool.cc', 'kernels/wgsl/linalg/dense_linear.wgsl', 'kernels/cuda/linalg/dense_linear.cu', 'CMakeLists.txt']) {
      assert.ok(files.includes(expected), `tarball has ${expected}`);
    }
    assert.ok(files.some((f) => f.startsWith(`prebuilds/${process.platform}-${process.arch}/`) && f.endsWith('.node')), 'tarball has a prebuild');
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('build/') || f.startsWith('native/io/fuzz/')), 'no tests, fuzz corpus or build outputs');

    const project = join(directory, 'project');
    npm(['init', '-y'], directory); // creates nothing we use; keeps npm quiet about the parent
    await rm(join(directory, 'package.json'), { force: true });
    execFileSync('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', join(directory, packed[0].filename), '--ignore-scripts', '--omit=optional', '--prefer-offline',
      '--no-audit', '--no-fund'], project);
    assert.ok(!existsSync(join(project, 'node_modules', 'boundless-ml', 'build')), 'nothing was compiled');

    const script = `
      import { listBackends, createBackend } from 'boundless-ml';
      const cpu = (await listBackends()).find((b) => b.name === 'cpu');
      const backend = await createBackend('cpu');
      const out = await backend.run('denseLinear', { x: new Float32Array([1, 2, 3]), w: new Float32Array([4, 5, 6]), bias: new Float32Array([0.5]), rows: 1, cols: 3, models: 1 });
      console.log(JSON.stringify({ available: cpu.available, addonPath: cpu.details.addonPath, out: Array.from(out) }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }));
    assert.equal(result.available, true);
    assert.match(result.addonPath, /node_modules\/boundless-ml\/prebuilds\/linux-x64\/.*\.node$/);
    assert.deepEqual(result.out, [32.5]);

    // require() of the ESM package works on Node >= 20.19 (no top-level await in the entry graph).
    const required = execFileSync(process.execPath, ['-e', "console.log(typeof require('boundless-ml').listBackends)"], { cwd: project, encoding: 'utf8' });
    assert.equal(required.trim(), 'function');

    const bin = execFileSync(join(project, 'node_modules', '.bin', 'boundless'), ['backends'], { cwd: project, encoding: 'utf8' });
    assert.equal(JSON.parse(bin).find((b: { name: string }) => b.name === 'cpu').available, true);
    // The bundled CLI finds its worker thread's entry (dist/distributed/worker-main.js) from the installed package.
    const shipped = join(project, 'node_modules', 'boundless-ml');
    const workers = execFileSync(join(project, 'node_modules', '.bin', 'boundless'), ['train', 'linear-learner', '--workers', '2',
      '--train', join(shipped, 'examples', 'data', 'flights', 'train.svm'), '--format', 'libsvm', '--feature-dim', '684', '--epochs', '1',
      '--hp', 'predictor_type=binary_classifier',
      '--model-dir', join(directory, 'model')], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BOUNDLESS_NUM_THREADS: '2' } });
    const trained = JSON.parse(workers.trim().split('\n').pop()!);
    assert.equal(trained.metrics.records, 50_000);
    assert.ok(trained.metrics.train.progressive_roc_auc_score > 0.6, workers);
    installed = { project, files };
  });

  it('a user without a prebuild can compile the addon: what binding.gyp requires is a dependency, not a devDependency', () => {
    // npm installs only dependencies in a user's project; node-addon-api was a devDependency, and
    // `npm install` from source (no matching prebuild) failed: "Cannot find module 'node-addon-api'".
    const gyp = readFileSync(join(packageRoot, 'binding.gyp'), 'utf8');
    const required = [...gyp.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
    assert.deepEqual(required, ['node-addon-api']);
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of [...required, 'node-gyp-build']) assert.ok(manifest.dependencies[name], `${name} is a dependency`);
  });

  it('ships the CUDA addon for linux-x64 where the prebuild had nvcc: static cudart, within its budget, loaded only with a device', async function () {
    if (!hasNvcc || !installed || process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    const { project, files } = installed;
    assert.ok(files.includes('prebuilds/cuda/linux-x64/boundless_cuda.node'), 'tarball has the CUDA addon');
    const addon = join(project, 'node_modules', 'boundless-ml', 'prebuilds', 'cuda', 'linux-x64', 'boundless_cuda.node');
    assert.ok(statSync(addon).size <= shippedBudgetBytes, `${statSync(addon).size} bytes`);
    const needed = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
    assert.doesNotMatch(needed, /libcudart/, 'cudart is linked statically: users need only the driver');
    // It loads in the consumer (no toolkit on its paths) and explains itself without a device.
    const probe = `const a = require(${JSON.stringify(addon)}); const i = a.deviceInfo();
      console.log(JSON.stringify({ runtime: i.runtimeVersion, available: i.available, reason: i.reason }));`;
    const info = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: project, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }));
    assert.ok(info.runtime >= 13000, `runtime ${info.runtime}`);
    const script = `import { listBackends } from 'boundless-ml';
      console.log(JSON.stringify((await listBackends()).find((b) => b.name === 'cuda')));`;
    const cuda = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }));
    if (existsSync('/dev/nvidiactl') || existsSync('/dev/dxg')) {
      assert.equal(cuda.details.addonPath, addon);
      if (!info.available) assert.match(cuda.reason, /cudaError\w+|no CUDA device/);
    } else {
      assert.equal(cuda.available, false);
      assert.equal(cuda.reason, 'no NVIDIA device node (/dev/nvidiactl): the shipped CUDA addon was not loaded; cpu runs');
      assert.equal(cuda.details.addonPath, addon);
    }
  });
});
