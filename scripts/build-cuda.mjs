#!/usr/bin/env node
// Builds the optional CUDA addon into build-cuda/ with cmake-js, only where
// nvcc exists. Without nvcc it says so and exits 0: the cpu backend is used.
import { execFileSync, spawnSync } from 'node:child_process';

function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const nvcc = process.env.CUDACXX || which('nvcc');
if (!nvcc) {
  console.error('build:cuda: nvcc not found (set CUDACXX or put nvcc on PATH); skipping the CUDA addon');
  process.exit(0);
}
const args = ['cmake-js', 'build', '--out', 'build-cuda', '--CDCMAKE_CUDA_COMPILER=' + nvcc];
if (process.env.BOUNDLESS_CUDA_ARCHITECTURES) {
  args.push('--CDCMAKE_CUDA_ARCHITECTURES=' + process.env.BOUNDLESS_CUDA_ARCHITECTURES);
}
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
