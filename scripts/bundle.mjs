// Bundles tsc's output (dist/) into the package's three entry points: the library
// (dist/index.js), the CLI (dist/cli/main.js) and the data-parallel worker thread
// (dist/distributed/worker-main.js), with the code they share in dist/chunks/.
//
// Why: Node resolves, reads and links every ES module on its own, and tsc's output is
// 170 of them. Importing the library took 186 ms on the 2-core VM against 71 ms for the
// same code bundled, and every `boundless` command, every worker thread of `--workers`
// and every process a cluster starts pays it. Types stay tsc's (dist/**/*.d.ts);
// source maps chain back to lib/*.ts. Dependencies (webgpu, ioredis, …) stay external.
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync, chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entries = { 'index': 'index.js', 'cli/main': 'cli/main.js', 'distributed/worker-main': 'distributed/worker-main.js' };

const staging = mkdtempSync(join(root, '.bundle-'));
try {
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, join(dist, file)])),
    bundle: true,
    splitting: true,  // one copy of the shared code: the library and the CLI in one process load it once
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: staging,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    logLevel: 'warning',
  });
  // tsc's JavaScript goes (the bundle holds all of it); its declarations stay for the types.
  for (const file of walk(dist)) {
    if (/\.js(\.map)?$/.test(file)) rmSync(file);
  }
  rmSync(join(dist, 'chunks'), { recursive: true, force: true });
  for (const file of walk(staging)) {
    const to = join(dist, relative(staging, file));
    mkdirSync(dirname(to), { recursive: true });
    renameSync(file, to);
  }
  chmodSync(join(dist, 'cli', 'main.js'), 0o755);
} finally {
  rmSync(staging, { recursive: true, force: true });
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
