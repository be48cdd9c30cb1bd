// States between threads: a State is plain data (typed arrays and JSON), so
// it crosses a MessagePort by structured clone, with its tensors' buffers
// moved (transferred), not copied. A state a worker uploads gets its buffers
// back with the round's merge copied into them, so a round allocates no
// per-worker memory.
import type { State } from '../algorithms/types.js';
import type { TensorArray } from '../state/tensor.js';

/**
 * The buffers to transfer with `state`. A tensor that is a view into a larger or shared buffer (a
 * state read from one file) is first copied into a buffer of its own, so that transferring it moves
 * exactly that tensor.
 */
export function transferList(state: State): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  for (const tensor of Object.values(state.tensors)) {
    const data = tensor.data;
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer && !seen.has(data.buffer);
    if (!own) tensor.data = data.slice() as TensorArray;
    seen.add(tensor.data.buffer);
  }
  return [...seen] as ArrayBuffer[];
}

/** A deep copy (tensors and scalars): what a worker continues from when it has no buffers of its own yet. */
export function copyState(state: State): State {
  return {
    ...state,
    schema: { ...state.schema },
    tensors: Object.fromEntries(Object.entries(state.tensors).map(([name, t]) => [name, { ...t, shape: [...t.shape], data: t.data.slice() as TensorArray }])),
    scalars: structuredClone(state.scalars),
  };
}

/**
 * `source` copied into `target`'s buffers (same algorithm, same shapes: a worker's state and the
 * round's merge); returns target. Scalars and schema are replaced.
 */
export function copyInto(target: State, source: State): State {
  for (const [name, tensor] of Object.entries(source.tensors)) {
    const into = target.tensors[name];
    if (!into || into.data.length !== tensor.data.length || into.data.constructor !== tensor.data.constructor) {
      return copyState(source);
    }
    (into.data as Float32Array).set(tensor.data as Float32Array);
    into.shape = [...tensor.shape];
  }
  if (Object.keys(target.tensors).some((name) => !(name in source.tensors))) return copyState(source);
  target.scalars = structuredClone(source.scalars);
  target.schema = { ...source.schema };
  target.hyperparameters = source.hyperparameters;
  return target;
}
