// Algorithms by name, for the CLI and for anything that resolves a name
// from a file (a checkpoint's metadata). Built-in algorithms register here
// as they land; `--algorithm-module` (or loadAlgorithmModule) adds your own:
// a module whose exports include objects that implement the contract.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { Algorithm } from './types.js';

const algorithms = new Map<string, Algorithm>();
/** The module each algorithm loaded by loadAlgorithmModule came from (worker threads load it again). */
const modules = new Map<string, string>();

export function registerAlgorithm(algorithm: Algorithm): void {
  const existing = algorithms.get(algorithm.name);
  if (existing && existing !== algorithm) throw new Error(`algorithm '${algorithm.name}' is already registered`);
  algorithms.set(algorithm.name, algorithm);
}

export function listAlgorithms(): string[] {
  return [...algorithms.keys()].sort();
}

export function getAlgorithm(name: string): Algorithm {
  const algorithm = algorithms.get(name);
  if (!algorithm) {
    const known = listAlgorithms();
    throw new Error(`unknown algorithm '${name}'; available: ${known.length > 0 ? known.join(', ') : 'none registered'} ` +
      '(add your own with --algorithm-module <file>)');
  }
  return algorithm;
}

/** The file loadAlgorithmModule registered `name` from; undefined for built-in and directly registered algorithms. */
export function algorithmModuleOf(name: string): string | undefined {
  return modules.get(name);
}

function looksLikeAlgorithm(value: unknown): value is Algorithm {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Algorithm>;
  return typeof candidate.name === 'string' && typeof candidate.createState === 'function' &&
    typeof candidate.update === 'function' && typeof candidate.finalize === 'function';
}

/** Imports a module and registers every exported algorithm; returns their names. */
export async function loadAlgorithmModule(path: string): Promise<string[]> {
  const module = await import(pathToFileURL(resolve(path)).href) as Record<string, unknown>;
  const found = Object.values(module).filter(looksLikeAlgorithm);
  if (found.length === 0) throw new Error(`${path}: exports no algorithm (an object with name, createState, update and finalize)`);
  for (const algorithm of found) {
    registerAlgorithm(algorithm);
    modules.set(algorithm.name, resolve(path));
  }
  return found.map((a) => a.name);
}
