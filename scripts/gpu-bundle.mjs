#!/usr/bin/env node
// npm run gpu:bundle — prepares .gpu/ for the lent GPU machine, which has
// CUDA but no Node.js, no npm registry and a 64 MiB limit on what travels:
// both addons built here (x86-64), lib/, test/ and bench/ compiled to JS,
// the runtime modules the GPU tests need (mocha, node-gyp-build and their
// dependencies), and this machine's node binary, xz-compressed. Then run
// there: `bash scripts/test-gpu.sh` with `.gpu` carried.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const bundle = join(root, '.gpu');
const app = join(bundle, 'app');
const run = (command, args, env = {}) => execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

rmSync(bundle, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
if (!existsSync(join(root, 'build/Release/boundless.node'))) run('npx', ['node-gyp', 'rebuild', '-j', 'max']);
run('npm', ['run', 'build:cuda'], { BOUNDLESS_CUDA_ARCHITECTURES: process.env.BOUNDLESS_CUDA_ARCHITECTURES ?? '90' });
run('npx', ['tsc', '-p', 'tsconfig.gpu.json']);

for (const path of ['package.json', 'kernels', 'test/summary-reporter.cjs']) cpSync(join(root, path), join(app, path), { recursive: true });
mkdirSync(join(app, 'build/Release'), { recursive: true });
mkdirSync(join(app, 'build-cuda/Release'), { recursive: true });
cpSync(join(root, 'build/Release/boundless.node'), join(app, 'build/Release/boundless.node'));
cpSync(join(root, 'build-cuda/Release/boundless_cuda.node'), join(app, 'build-cuda/Release/boundless_cuda.node'));

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
const queue = ['mocha', 'node-gyp-build'].map((name) => ({ name, from: root }));
while (queue.length > 0) {
  const { name, from } = queue.shift();
  const directory = findPackage(name, from);
  if (seen.has(directory)) continue;
  seen.add(directory);
  const { dependencies = {} } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(dependencies)) queue.push({ name: dependency, from: directory });
}
for (const directory of seen) cpSync(directory, join(app, relative(root, directory)), { recursive: true });

// Node itself, compressed (the binary alone is ~99 MB).
execFileSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${join(bundle, 'node.xz')}"`]);
writeFileSync(join(bundle, 'README'), 'Made by npm run gpu:bundle; used by scripts/test-gpu.sh on a machine without Node.js.\n');

const size = (path) => statSync(path).isDirectory() ? readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0) : statSync(path).size;
console.error(`.gpu: ${(size(bundle) / 2 ** 20).toFixed(1)} MiB (the device carries at most 64 MiB with the working tree)`);
