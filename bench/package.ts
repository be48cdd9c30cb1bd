// What an npm user downloads and waits for: the tarball's size with and
// without the shipped CUDA addon (prebuilds/cuda/), and the time of
// `npm install <tarball> --ignore-scripts` into an empty project (nothing
// compiles: the addons are prebuilt), median of three, each tarball in the
// same run. Needs `npm run prebuild` to have made the addons (it runs it if not).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageRow { tarball: string; bytes: number; files: number; installSeconds: number }

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const cudaDir = join(root, 'prebuilds', 'cuda');

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pack(into: string): { path: string; files: number } {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', into], root)) as { filename: string; files: unknown[] }[];
  return { path: join(into, packed.filename), files: packed.files.length };
}

/** Seconds of `npm install` of the tarball into a fresh empty project (the npm cache warm from the first try). */
function installSeconds(tarball: string, work: string, attempt: number): number {
  const project = join(work, `project-${attempt}`);
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const start = performance.now();
  npm(['install', tarball, '--ignore-scripts', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'], project);
  const seconds = (performance.now() - start) / 1000;
  if (existsSync(join(project, 'node_modules', 'boundless-ml', 'build'))) throw new Error('the install compiled something');
  rmSync(project, { recursive: true, force: true });
  return seconds;
}

function measure(label: string, work: string): PackageRow {
  const dir = mkdtempSync(join(work, 'pack-'));
  const { path, files } = pack(dir);
  installSeconds(path, work, 0);  // warms npm's cache with the dependencies
  const times = [1, 2, 3].map((attempt) => installSeconds(path, work, attempt)).sort((a, b) => a - b);
  return { tarball: label, bytes: statSync(path).size, files, installSeconds: times[1] };
}

export async function runPackage(): Promise<{ rows: PackageRow[]; notes: string[] }> {
  if (!existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`))) npm(['run', 'prebuild'], root);
  if (!existsSync(cudaDir)) throw new Error('no prebuilds/cuda/: run `npm run prebuild` where nvcc exists first');
  const work = mkdtempSync(join(tmpdir(), 'boundless-package-bench-'));
  const aside = join(work, 'cuda-aside');
  try {
    const withCuda = measure('with the CUDA addon (as published)', work);
    renameSync(cudaDir, aside);
    let without: PackageRow;
    try {
      without = measure('without it (core addon only)', work);
    } finally {
      renameSync(aside, cudaDir);
    }
    return {
      rows: [withCuda, without],
      notes: [
        `The CUDA addon adds ${((withCuda.bytes - without.bytes) / 1048576).toFixed(2)} MiB to the tarball (compressed).`,
        'Install: `npm install <tarball> --ignore-scripts --omit=optional --prefer-offline` into an empty project, npm cache warm, median of 3; nothing compiles.',
      ],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function packageTable(rows: PackageRow[]): string {
  return [
    '| tarball | size MiB | files | install s |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.tarball} | ${(r.bytes / 1048576).toFixed(2)} | ${r.files} | ${r.installSeconds.toFixed(2)} |`),
  ].join('\n');
}
