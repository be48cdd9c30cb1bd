// States and models of any algorithm to and from files, through the
// algorithm contract. Loading re-validates the stored hyperparameters
// against the algorithm's schema and checks that every tensor the state
// was created with is present with the same dtype and shape.
import { inStateTurn, requireSettled, settleHeld } from '../backends/device-state.js';
import type { Backend } from '../backends/registry.js';
import { parseHyperparameters } from './hyperparameters.js';
import type { Algorithm, DataSchema, Model, State } from './types.js';
import {
  decodeStoredObject, encodeStoredObject, readStoredObject, writeStoredObject,
  type EncodeOptions, type JsonValue, type StoredObject,
} from '../state/checkpoint.js';
import { SafetensorsFormatError } from '../state/safetensors.js';
import { dtypeOf } from '../state/tensor.js';
import { withArticle } from './article.js';

function toStored<H>(kind: 'state' | 'model', state: State<H> | ReturnType<Model['data']>): StoredObject {
  if (kind === 'state') requireSettled(state, 'writing a state');
  return {
    kind,
    algorithm: state.algorithm,
    hyperparameters: state.hyperparameters as Record<string, JsonValue>,
    schema: state.schema,
    tensors: state.tensors,
    scalars: state.scalars,
  };
}

function schemaOf(stored: StoredObject, source: string): DataSchema {
  const { featureDim, labelSize } = stored.schema;
  if (!Number.isSafeInteger(featureDim) || (featureDim as number) < 0 || !Number.isSafeInteger(labelSize)) {
    throw new SafetensorsFormatError(`${source}: schema ${JSON.stringify(stored.schema)} lacks featureDim and labelSize`);
  }
  return stored.schema as DataSchema;
}

/** A state's tensors as names, dtypes and shapes: what a stored state is checked against. */
type Layout = Map<string, { dtype: string; shape: string }>;

/**
 * Layouts of fresh states by algorithm, hyperparameters and schema, the last few kept: a cluster
 * job decodes a state at every round, and a fresh state to compare with (allocated, for some
 * algorithms randomly initialized) cost more than the decoding.
 */
const layouts = new Map<string, Layout>();
const layoutsKept = 8;

function layoutOf(algorithm: Algorithm, hyperparameters: unknown, schema: DataSchema, backend: Backend): { layout: Layout; fresh?: State<never> } {
  const key = JSON.stringify([algorithm.name, hyperparameters, schema]);
  const known = layouts.get(key);
  if (known) return { layout: known };
  const fresh = algorithm.createState(hyperparameters as never, schema, backend) as State<never>;
  const layout: Layout = new Map(Object.entries(fresh.tensors).map(([name, t]) => [name, { dtype: dtypeOf(t), shape: t.shape.join() }]));
  if (layouts.size >= layoutsKept) layouts.delete(layouts.keys().next().value!);
  layouts.set(key, layout);
  return { layout, fresh };
}

function fromStored<A extends Algorithm>(algorithm: A, stored: StoredObject, backend: Backend, source: string): State<never> {
  const storedHyperparameters = algorithm.upgradeStoredHyperparameters
    ? algorithm.upgradeStoredHyperparameters(stored.hyperparameters, stored.scalars) : stored.hyperparameters;
  const hyperparameters = parseHyperparameters(algorithm.name, algorithm.hyperparameters, storedHyperparameters as never);
  const schema = schemaOf(stored, source);
  // A fresh state's layout says which tensors must be there, with which dtype and shape.
  let { layout, fresh } = layoutOf(algorithm, hyperparameters, schema, backend);
  const tensors = { ...stored.tensors };
  for (const [name, expected] of layout) {
    // A tensor added since the file was written takes the fresh state's value, which means what older files meant.
    if (!tensors[name] && algorithm.addedTensors?.includes(name)) {
      fresh ??= algorithm.createState(hyperparameters as never, schema, backend) as State<never>;
      tensors[name] = fresh.tensors[name];
    }
    const found = tensors[name];
    if (!found) throw new SafetensorsFormatError(`${source}: state has no tensor '${name}'`);
    if (dtypeOf(found) !== expected.dtype || found.shape.join() !== expected.shape) {
      throw new SafetensorsFormatError(`${source}: tensor '${name}' is ${dtypeOf(found)} [${found.shape}], ` +
        `expected ${expected.dtype} [${expected.shape}] for these hyperparameters`);
    }
  }
  for (const name of Object.keys(stored.tensors)) {
    if (!layout.has(name)) throw new SafetensorsFormatError(`${source}: unexpected tensor '${name}' in ${withArticle(algorithm.name)} state`);
  }
  return { algorithm: algorithm.name, hyperparameters, schema, tensors, scalars: stored.scalars } as State<never>;
}

/**
 * Writes a checkpoint atomically, in the state's turn: after the updates started before it (their batches are in the
 * file), before those started after it (they wait for the write).
 */
export function saveState<H>(path: string, state: State<H>): Promise<void> {
  requireHolder('saveState', 'state', state);
  return inStateTurn(state, async () => {
    await settleHeld(state);
    await writeStoredObject(path, toStored('state', state));
  });
}

/**
 * The public entry points' arguments, checked before use: a missing algorithm or an un-awaited
 * backend failed later with `Cannot read properties of undefined (reading 'name')`.
 */
function requireAlgorithm(call: string, algorithm: unknown): void {
  const a = algorithm as { name?: unknown; createState?: unknown } | undefined;
  if (typeof a !== 'object' || a === null || typeof a.name !== 'string' || typeof a.createState !== 'function') {
    throw new TypeError(`${call}: algorithm must be an algorithm object (linearLearner, kmeans, … from 'boundless-ml', or getAlgorithm(name)), got ${describe(algorithm)}`);
  }
}

function requireBackend(call: string, backend: unknown): void {
  const b = backend as { name?: unknown; run?: unknown } | undefined;
  if (typeof b !== 'object' || b === null || typeof (b as { then?: unknown }).then === 'function' || typeof b.run !== 'function') {
    throw new TypeError(`${call}: backend must be a Backend (await createBackend('cpu') or createBackend('auto')), got ${describe(backend)}`);
  }
}

function requireHolder(call: string, what: 'state' | 'model', value: unknown): void {
  const v = value as { data?: unknown; tensors?: unknown } | undefined;
  const ok = what === 'model' ? typeof v?.data === 'function' : typeof v === 'object' && v !== null && typeof v.tensors === 'object' && typeof v.data !== 'function';
  if (!ok) {
    const other = what === 'model' ? (typeof v?.tensors === 'object' ? ' (a state: saveState writes states)' : '') : (typeof v?.data === 'function' ? ' (a model: saveModel writes models)' : '');
    throw new TypeError(`${call}: expected a ${what}, got ${describe(value)}${other}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return typeof (value as { then?: unknown }).then === 'function' ? 'a promise (await it)' : `an object (${value.constructor?.name ?? 'Object'})`;
  return typeof value;
}

/** A state plus the trainer's progress (epoch, source position), written atomically in the state's turn. */
export function saveCheckpoint<H>(path: string, state: State<H>, training: Record<string, JsonValue>): Promise<void> {
  return inStateTurn(state, async () => {
    await settleHeld(state);
    await writeStoredObject(path, { ...toStored('state', state), training });
  });
}

export async function loadCheckpoint<A extends Algorithm>(path: string, algorithm: A, backend: Backend):
  Promise<{ state: Parameters<A['update']>[0]; training: Record<string, JsonValue> }> {
  const stored = await readStoredObject(path, { kind: 'state', algorithm: algorithm.name });
  const state = fromStored(algorithm, stored, backend, path) as Parameters<A['update']>[0];
  return { state, training: stored.training ?? {} };
}

export async function loadState<A extends Algorithm>(path: string, algorithm: A, backend: Backend):
  Promise<Parameters<A['update']>[0]> {
  requireAlgorithm('loadState', algorithm);
  requireBackend('loadState', backend);
  const stored = await readStoredObject(path, { kind: 'state', algorithm: algorithm.name });
  return fromStored(algorithm, stored, backend, path) as Parameters<A['update']>[0];
}

/**
 * A state as saveState's bytes; `sparse`: mostly-zero tensors as their non-zero elements (smaller,
 * for states that travel: stateFromBytes reads both, and other safetensors readers see the pairs).
 */
export function stateToBytes<H>(state: State<H>, options: EncodeOptions = {}): Uint8Array {
  return encodeStoredObject(toStored('state', state), options);
}

export function stateFromBytes<A extends Algorithm>(bytes: Uint8Array, algorithm: A, backend: Backend, source = 'state bytes'):
  Parameters<A['update']>[0] {
  const stored = decodeStoredObject(bytes, { kind: 'state', algorithm: algorithm.name }, source);
  return fromStored(algorithm, stored, backend, source) as Parameters<A['update']>[0];
}

export async function saveModel(path: string, model: Model): Promise<void> {
  requireHolder('saveModel', 'model', model);
  await writeStoredObject(path, toStored('model', model.data()));
}

export async function loadModel<A extends Algorithm>(path: string, algorithm: A, backend: Backend):
  Promise<ReturnType<A['loadModel']>> {
  requireAlgorithm('loadModel', algorithm);
  requireBackend('loadModel', backend);
  return modelFromStored(await readStoredObject(path, { kind: 'model', algorithm: algorithm.name }), algorithm, backend, path);
}

/** A model from a file already read (when the algorithm had to be looked up from its metadata first). */
export function modelFromStored<A extends Algorithm>(stored: StoredObject, algorithm: A, backend: Backend, source: string):
  ReturnType<A['loadModel']> {
  if (stored.kind !== 'model' || stored.algorithm !== algorithm.name) {
    throw new SafetensorsFormatError(`${source}: is ${withArticle(stored.algorithm)} ${stored.kind} file, expected ${withArticle(algorithm.name)} model`);
  }
  return algorithm.loadModel({ ...stored, schema: schemaOf(stored, source) }, backend) as ReturnType<A['loadModel']>;
}

/** A model as the bytes saveModel writes (for stores other than files: a cluster job's Redis). */
export function modelToBytes(model: Model): Uint8Array {
  return encodeStoredObject(toStored('model', model.data()));
}

/** A model from modelToBytes' bytes, validated as loadModel validates a file; `source` names them in errors. */
export function modelFromBytes<A extends Algorithm>(bytes: Uint8Array, algorithm: A, backend: Backend, source: string):
  ReturnType<A['loadModel']> {
  return modelFromStored(decodeStoredObject(bytes, { kind: 'model', algorithm: algorithm.name }, source), algorithm, backend, source);
}
