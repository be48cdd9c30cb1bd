// The layering of ARCHITECTURE.md, checked on the import lines themselves:
// each folder of lib/ may import only the folders below it (type-only and
// dynamic imports count), and each folder of native/ may include only the
// folders below it. A Redis source in lib/io/ must not reach into the
// trainer; a state container must not know the algorithms.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot } from '../lib/package-root.js';

/** Module specifiers a TypeScript source imports: static, type-only, re-exports, side-effect and dynamic. */
export function importSpecifiers(source: string): string[] {
  const pattern = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...source.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Header paths a C++ source includes with quotes. */
function includes(source: string): string[] {
  return [...source.matchAll(/^\s*#\s*include\s*"([^"]+)"/gm)].map((m) => m[1]);
}

function filesUnder(directory: string, extensions: string[]): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return filesUnder(path, extensions);
    return extensions.some((e) => name.endsWith(e)) ? [path] : [];
  });
}

/** lib/<folder>/… or lib/<module>.ts → the folder or module name. */
function libUnit(path: string): string {
  const parts = relative(join(packageRoot, 'lib'), path).split('/');
  return parts.length === 1 ? parts[0].replace(/\.(ts|js)$/, '') : parts[0];
}

// What each unit of lib/ may import besides itself. index (the public API) and cli may import anything.
const libAllowed: Record<string, string[]> = {
  'package-root': [],
  random: [],
  state: ['package-root'],
  data: ['state', 'random'],
  backends: ['data', 'package-root'],
  io: ['data', 'backends', 'state'],
  algorithms: ['backends', 'data', 'state', 'random'],
  train: ['algorithms', 'backends', 'io', 'state', 'data', 'random'],
  distributed: ['train', 'algorithms', 'backends', 'io', 'state', 'data', 'random', 'package-root'],
  serve: ['algorithms', 'backends', 'io', 'state', 'data'],
};

function libViolations(): string[] {
  const found: string[] = [];
  for (const file of filesUnder(join(packageRoot, 'lib'), ['.ts'])) {
    const unit = libUnit(file);
    if (unit === 'index' || unit === 'cli') continue;
    const allowed = libAllowed[unit];
    if (!allowed) {
      found.push(`${relative(packageRoot, file)}: lib/${unit} has no place in the layering (add it to libAllowed and ARCHITECTURE.md's map)`);
      continue;
    }
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = libUnit(resolve(dirname(file), specifier));
      if (target !== unit && !allowed.includes(target)) found.push(`${relative(packageRoot, file)} imports lib/${target} ('${specifier}')`);
    }
  }
  return found;
}

// What each folder of native/ may include besides itself (an algorithm: only its own folder of algorithms/).
const nativeAllowed: Record<string, string[]> = {
  runtime: [],
  linalg: ['runtime'],
  io: ['runtime'],
  nn: ['runtime', 'linalg'],
  algorithms: ['runtime', 'linalg', 'nn'],
};

function nativeUnit(path: string): string {
  const parts = relative(join(packageRoot, 'native'), path).split('/');
  return parts[0] === 'algorithms' ? `algorithms/${parts[1]}` : parts.length === 1 ? parts[0] : parts[0];
}

function nativeViolations(): string[] {
  const found: string[] = [];
  for (const file of filesUnder(join(packageRoot, 'native'), ['.h', '.cc'])) {
    const unit = nativeUnit(file);
    if (unit === 'addon.cc') continue;
    const allowed = nativeAllowed[unit.split('/')[0]];
    if (!allowed) {
      found.push(`${relative(packageRoot, file)}: native/${unit} is not a folder of the map (runtime, linalg, io, nn, algorithms/<name>)`);
      continue;
    }
    for (const header of includes(readFileSync(file, 'utf8'))) {
      const target = header.split('/')[0] === 'algorithms' ? header.split('/').slice(0, 2).join('/') : header.split('/')[0];
      if (target !== unit && !allowed.includes(target)) found.push(`${relative(packageRoot, file)} includes "${header}"`);
    }
  }
  return found;
}

describe('layering', () => {
  it('reads every kind of import line, type-only and multi-line ones included', () => {
    const source = [
      "import type { Algorithm } from '../algorithms/types.js';",
      'import {',
      '  type State,',
      '  Model,',
      "} from '../algorithms/index.js';",
      "export { Random } from './random.js';",
      "export type * from '../train/train.js';",
      "import '../io/side-effect.js';",
      "const lazy = await import('../cli/main.js');",
      "// a comment that says import nothing from 'nowhere'",
    ].join('\n');
    assert.deepEqual(importSpecifiers(source),
      ['../algorithms/types.js', '../algorithms/index.js', './random.js', '../train/train.js', '../io/side-effect.js', '../cli/main.js']);
  });

  it('lib/: state knows only tensors and files, data and io know no algorithm or trainer, each folder imports only those below it', () => {
    assert.deepEqual(libViolations(), []);
  });

  it('native/: runtime, then linalg and io, then the algorithms; no algorithm includes another', () => {
    assert.deepEqual(nativeViolations(), []);
  });

  it('binding.gyp compiles every native source and nothing that is not there', () => {
    const gyp = readFileSync(join(packageRoot, 'binding.gyp'), 'utf8');
    const listed = [...gyp.matchAll(/"(native\/[^"]+\.cc)"/g)].map((m) => m[1]).sort();
    const present = filesUnder(join(packageRoot, 'native'), ['.cc'])
      .map((f) => relative(packageRoot, f)).filter((f) => !f.includes('/fuzz/')).sort();
    assert.deepEqual(listed, present);
  });

  it('native/ keeps only the registration file and its map at the root', () => {
    const root = readdirSync(join(packageRoot, 'native')).filter((n) => !statSync(join(packageRoot, 'native', n)).isDirectory());
    assert.deepEqual(root.sort(), ['README.md', 'addon.cc']);
  });
});
