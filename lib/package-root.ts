// Where the package is installed: the folder holding package.json, kernels/,
// build/ and prebuilds/. A module of its own so that the state container,
// the backends and the tests can find package files without depending on
// each other.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module that holds a package.json. This module
 * is lib/package-root.ts in the sources, and in the bundled dist/ (scripts/bundle.mjs) part of a
 * shared chunk in dist/chunks/, so its depth below the root differs.
 */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`boundless-ml: no package.json above ${from} (the package's files are incomplete)`);
  }
}

/** The version in the package's package.json (written into every state and model file). */
export const packageVersion: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
