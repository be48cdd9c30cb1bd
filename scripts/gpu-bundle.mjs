#!/usr/bin/env node
// npm run gpu:bundle — prepares .gpu/ for the lent GPU machine, which has
// CUDA but no Node.js, no npm registry and a 64 MiB limit on what travels:
// both addons built here (x86-64), lib/, test/ and bench/ compiled to JS,
// the runtime modules the GPU tests need (mocha, node-gyp-build and their
// dependencies), and this machine's node binary, xz-compressed; for WebGPU on
// the real GPU, the `webgpu` package (its dawn.node xz-compressed) and Debian's
// Vulkan loader and GL dispatch libraries as .deb files (gpu-device-notes.md).
// Then run there: `bash scripts/test-gpu.sh` with `.gpu` carried.
// --prebuild: carry the CUDA addon npm users get (prebuilds/cuda/, the stripped fat binary that
// `npm run prebuild` makes, built here if absent) instead of a build-cuda/ one for sm 90 alone, so
// the device run tests what ships.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const bundle = join(root, '.gpu');
const app = join(bundle, 'app');
const run = (command, args, env = {}) => execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

rmSync(bundle, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
const shipped = process.argv.includes('--prebuild');
const shippedCuda = join('prebuilds', 'cuda', `${process.platform}-${process.arch}`, 'boundless_cuda.node');
if (!existsSync(join(root, 'build/Release/boundless.node'))) run('npx', ['node-gyp', 'rebuild', '-j', 'max']);
if (shipped) {
  if (!existsSync(join(root, shippedCuda))) run(process.execPath, [join(root, 'scripts', 'build-cuda.mjs'), '--prebuild']);
} else {
  run('npm', ['run', 'build:cuda'], { BOUNDLESS_CUDA_ARCHITECTURES: process.env.BOUNDLESS_CUDA_ARCHITECTURES ?? '90' });
}
run('npx', ['tsc', '-p', 'tsconfig.gpu.json']);

for (const path of ['package.json', 'README.md', 'kernels', 'test/summary-reporter.cjs']) cpSync(join(root, path), join(app, path), { recursive: true });
mkdirSync(join(app, 'build/Release'), { recursive: true });
cpSync(join(root, 'build/Release/boundless.node'), join(app, 'build/Release/boundless.node'));
// One CUDA addon: the shipped one (found by the loader in prebuilds/ when no build-cuda/ is there), or a development build.
const cudaAddon = shipped ? shippedCuda : join('build-cuda', 'Release', 'boundless_cuda.node');
mkdirSync(join(app, dirname(cudaAddon)), { recursive: true });
cpSync(join(root, cudaAddon), join(app, cudaAddon));

// The dependency closure of the runtime modules, found as Node finds them: in node_modules
// folders from the requiring package up to the root (package.json need not be exported).
function findPackage(name, from) {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (directory === root || directory === dirname(directory)) throw new Error(`gpu:bundle: cannot find ${name} from ${from}`);
  }
}
const seen = new Set();
// ioredis: bench/run imports every benchmark, the Redis ones too.
const queue = ['mocha', 'node-gyp-build', 'ioredis'].map((name) => ({ name, from: root }));
while (queue.length > 0) {
  const { name, from } = queue.shift();
  const directory = findPackage(name, from);
  if (seen.has(directory)) continue;
  seen.add(directory);
  const { dependencies = {} } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(dependencies)) queue.push({ name: dependency, from: directory });
}
for (const directory of seen) cpSync(directory, join(app, relative(root, directory)), { recursive: true });

// WebGPU: the package without its 21 MB dawn.node, which travels xz-compressed (~5 MB), and the
// libraries Dawn's Vulkan backend loads, which that machine lacks (dpkg -x'd there by test-gpu.sh).
const webgpu = join(root, 'node_modules', 'webgpu');
if (existsSync(webgpu)) {
  const platform = join(webgpu, 'dist', `${process.platform}-${process.arch}`);
  const dawn = join(platform, 'dawn.node');
  // Other platforms' dawn.node (~110 MB together) stay here.
  const wanted = (path) => path !== dawn && (!path.startsWith(join(webgpu, 'dist') + '/') || path === platform || path.startsWith(platform + '/'));
  cpSync(webgpu, join(app, 'node_modules', 'webgpu'), { recursive: true, filter: wanted });
  execFileSync('sh', ['-c', `xz -T0 -6 -c "${dawn}" > "${join(bundle, 'dawn.node.xz')}"`]);
  mkdirSync(join(bundle, 'debs'), { recursive: true });
  try {
    execFileSync('apt-get', ['download', 'libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'],
      { cwd: join(bundle, 'debs'), stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    console.error(`gpu:bundle: no Vulkan .debs (apt-get download failed: ${String(error).split('\n')[0]}); webgpu will not be expected there`);
    rmSync(join(bundle, 'debs'), { recursive: true, force: true });
  }
} else {
  console.error('gpu:bundle: the optional webgpu package is not installed; webgpu will not be expected there');
}

// Node itself, compressed (the binary alone is ~99 MB).
execFileSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${join(bundle, 'node.xz')}"`]);
writeFileSync(join(bundle, 'README'), 'Made by npm run gpu:bundle; used by scripts/test-gpu.sh on a machine without Node.js.\n');

const size = (path) => statSync(path).isDirectory() ? readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0) : statSync(path).size;
console.error(`.gpu: ${(size(bundle) / 2 ** 20).toFixed(1)} MiB (the device carries at most 64 MiB with the working tree)`);
