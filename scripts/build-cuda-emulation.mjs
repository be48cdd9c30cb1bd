#!/usr/bin/env node
// Builds the CUDA addon's sources with the C++ compiler against the CPU
// emulation of the CUDA runtime (kernels/cuda/emulation/cuda_runtime.h) into
// build-cuda-emulation/boundless_cuda.node: the cuda backend's kernels,
// bindings and TypeScript then run in the tests on machines without a GPU
// (test/backends/cuda-emulation.test.ts). Not a backend for users: it is
// never shipped and never loaded unless BOUNDLESS_CUDA_ADDON_PATH names it.
// The sources are CMakeLists.txt's, so the emulated addon is the real one's.
// Incremental: a source is compiled again when it or a header it includes changed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build-cuda-emulation');
const require = createRequire(import.meta.url);

/** The CUDA addon's sources, as CMakeLists.txt lists them, and the emulation's own (its fibers). */
function sources() {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const listed = [...cmake.matchAll(/^\s*(kernels\/cuda\/\S+\.(?:cc|cu))\s*$/gm)].map((m) => m[1]);
  if (listed.length === 0) throw new Error('build-cuda-emulation: CMakeLists.txt lists no kernels/cuda sources');
  const emulation = readdirSync(join(root, 'kernels/cuda/emulation')).filter((f) => f.endsWith('.cc')).map((f) => `kernels/cuda/emulation/${f}`);
  return [...listed, ...emulation];
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : -1);

/** Whether object `o` is older than its source or any header its dependency file names. */
function stale(source, object, depfile) {
  const built = mtime(object);
  if (built < 0 || !existsSync(depfile)) return true;
  const deps = readFileSync(depfile, 'utf8').replace(/\\\n/g, ' ').split(/\s+/).slice(1).filter((p) => p && !p.endsWith(':'));
  return [source, ...deps].some((path) => mtime(path.startsWith('/') ? path : join(root, path)) > built);
}

function run(command, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${command} ${args.join(' ')}: exit ${code}`))));
  });
}

async function main() {
  const cxx = process.env.CXX || 'c++';
  const includes = [
    join(root, 'kernels/cuda/emulation'),  // first: <cuda_runtime.h> is the emulation's
    join(root, 'kernels/cuda'),
    join(root, 'native'),
    join(root, require('node-addon-api').include_dir),
    require('node-api-headers').include_dir,
  ];
  const flags = ['-std=c++17', '-O2', '-fPIC', '-pthread', '-fexceptions', '-Wall', '-Wno-unused-function',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', ...includes.map((dir) => `-I${dir}`)];
  mkdirSync(join(out, 'obj'), { recursive: true });
  const jobs = sources().map((source) => {
    const name = source.replace(/^kernels\/cuda\//, '').replace(/\//g, '_');
    return { source, object: join(out, 'obj', `${name}.o`), depfile: join(out, 'obj', `${name}.d`) };
  });
  const todo = jobs.filter((job) => stale(join(root, job.source), job.object, job.depfile));
  const width = Math.max(1, Math.min(availableParallelism(), 4));
  for (let i = 0; i < todo.length; i += width) {
    await Promise.all(todo.slice(i, i + width).map((job) => run(cxx, [...flags, '-MMD', '-MF', job.depfile, '-c',
      ...(job.source.endsWith('.cu') ? ['-x', 'c++'] : []), job.source, '-o', job.object])));
  }
  const addon = join(out, 'boundless_cuda.node');
  if (todo.length > 0 || !existsSync(addon)) {
    await run(cxx, ['-shared', '-pthread', '-o', addon, ...jobs.map((job) => job.object)]);
    console.error(`build:cuda-emulation: ${addon} (${todo.length} of ${jobs.length} sources compiled: ${todo.map((j) => basename(j.source)).join(', ') || 'none'})`);
  }
}

main().catch((error) => {
  console.error(`build:cuda-emulation: ${error.message}`);
  process.exit(1);
});
