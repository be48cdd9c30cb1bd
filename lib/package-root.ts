// Where the package is installed: the folder holding package.json, kernels/,
// build/ and prebuilds/. A module of its own so that the state container,
// the backends and the tests can find package files without depending on
// each other.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: lib/ (sources) and dist/ (compiled) both sit one level down. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The version in the package's package.json (written into every state and model file). */
export const packageVersion: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
