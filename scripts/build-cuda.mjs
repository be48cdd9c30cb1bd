#!/usr/bin/env node
// Builds the optional CUDA addon with cmake-js, only where nvcc exists. Without
// nvcc it says so and exits 0: the cpu backend is used.
//   node scripts/build-cuda.mjs               build-cuda/ (development; BOUNDLESS_CUDA_ARCHITECTURES)
//   node scripts/build-cuda.mjs --prebuild    the addon npm users get: every shipped architecture,
//                                             stripped, into prebuilds/cuda/<platform>-<arch>/
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Turing, Ampere (A100; consumer), Ada and Hopper as machine code, Hopper's PTX for newer GPUs to JIT. */
export const shippedArchitectures = '75-real;80-real;86-real;89-real;90';
/** The stripped fat binary must stay under this (bytes); the tarball carries it to every linux-x64 user. */
export const shippedBudgetBytes = 8 * 1024 * 1024;

function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function main() {
  const prebuild = process.argv.includes('--prebuild');
  const nvcc = process.env.CUDACXX || which('nvcc');
  if (!nvcc) {
    console.error(`build:cuda: nvcc not found (set CUDACXX or put nvcc on PATH); ${prebuild ? 'the package ships without' : 'skipping'} the CUDA addon`);
    return 0;
  }
  const out = prebuild ? 'build-cuda-prebuild' : 'build-cuda';
  const architectures = prebuild ? shippedArchitectures : process.env.BOUNDLESS_CUDA_ARCHITECTURES;
  const args = ['cmake-js', 'build', '--out', out, '--CDCMAKE_CUDA_COMPILER=' + nvcc];
  if (architectures) args.push('--CDCMAKE_CUDA_ARCHITECTURES=' + architectures);
  const result = spawnSync('npx', args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0 || !prebuild) return result.status ?? 1;

  const target = join(root, 'prebuilds', 'cuda', `${process.platform}-${process.arch}`, 'boundless_cuda.node');
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, out, 'Release', 'boundless_cuda.node'), target);
  execFileSync('strip', ['--strip-unneeded', target]);
  const bytes = statSync(target).size;
  if (bytes > shippedBudgetBytes) {
    console.error(`build:cuda: ${target} is ${bytes} bytes, over the ${shippedBudgetBytes}-byte budget for the shipped CUDA addon`);
    return 1;
  }
  console.error(`build:cuda: ${target} (${(bytes / 1048576).toFixed(2)} MiB; sm ${architectures})`);
  return 0;
}

// Run as a script (not when a test imports the constants above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(main());
