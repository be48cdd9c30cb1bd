#!/usr/bin/env node
// npm run prebuild: the addons that go into the tarball for this platform —
// the core addon (prebuildify: N-API, stripped, tagged with the libc) and,
// where nvcc exists, the CUDA addon for every shipped GPU architecture
// (scripts/build-cuda.mjs --prebuild). BOUNDLESS_REQUIRE_CUDA_PREBUILD=1 (release
// builds) makes a missing nvcc an error instead of a package without CUDA.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) => {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run('npx', ['prebuildify', '--napi', '--strip', '--tag-libc']);
run(process.execPath, [join(root, 'scripts', 'build-cuda.mjs'), '--prebuild']);
const cuda = join(root, 'prebuilds', 'cuda', `${process.platform}-${process.arch}`, 'boundless_cuda.node');
if (process.env.BOUNDLESS_REQUIRE_CUDA_PREBUILD === '1' && !existsSync(cuda)) {
  console.error(`prebuild: BOUNDLESS_REQUIRE_CUDA_PREBUILD=1 but no ${cuda} was built (is nvcc on PATH?)`);
  process.exit(1);
}
