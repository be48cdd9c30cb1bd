// States between threads: a State is plain data (typed arrays and JSON), so
// it crosses a MessagePort by structured clone, with its tensors' buffers
// moved (transferred), not copied. A state a worker uploads gets its buffers
// back with the round's merge copied into them, so a round allocates no
// per-worker memory. States that cross often are packed: every tensor a view
// into one ArrayBuffer, so a message moves one buffer. Each buffer a message
// transfers costs ~5–10 µs each way; a round trip of a 20-tensor state took
// ~290 µs as 20 buffers and ~65 µs as one (the development VM).
import type { State } from '../algorithms/types.js';
import type { TensorArray } from '../state/tensor.js';

/** Where each tensor sits in a packed state's buffer (Object.keys order, 8-byte aligned), and its size. */
function packedLayout(state: State): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const tensor of Object.values(state.tensors)) {
    offsets.push(total);
    total += Math.ceil(tensor.data.byteLength / 8) * 8;
  }
  return { offsets, total };
}

/** Whether the state's tensors are exactly packedLayout's views of one ArrayBuffer (and nothing else's). */
function isPacked(state: State): boolean {
  const tensors = Object.values(state.tensors);
  if (tensors.length === 0) return false;
  const buffer = tensors[0].data.buffer;
  if (!(buffer instanceof ArrayBuffer)) return false;
  const { offsets, total } = packedLayout(state);
  return buffer.byteLength === total && tensors.every((t, i) => t.data.buffer === buffer && t.data.byteOffset === offsets[i]);
}

/** `state`'s tensors as views of one new buffer, holding `from`'s values (the state's own by default). */
function packInto(state: State, from: State = state): State {
  const { offsets, total } = packedLayout(from);
  const buffer = new ArrayBuffer(total);
  const tensors = Object.entries(from.tensors);
  state.tensors = Object.fromEntries(tensors.map(([name, t], i) => {
    const Kind = t.data.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => TensorArray;
    const data = new Kind(buffer, offsets[i], t.data.length);
    (data as Float32Array).set(t.data as Float32Array);
    return [name, { ...t, shape: [...t.shape], data }];
  }));
  return state;
}

/** Packs the state in place (its tensors become views of one buffer) unless it is packed already; returns it. */
export function packState(state: State): State {
  return isPacked(state) ? state : packInto(state);
}

/**
 * The buffers to transfer with `state`. A tensor that is a view into a larger or shared buffer (a
 * state read from one file) is first copied into a buffer of its own, so that transferring it moves
 * exactly that tensor.
 */
export function transferList(state: State): ArrayBuffer[] {
  if (isPacked(state)) return [state.tensors[Object.keys(state.tensors)[0]].data.buffer as ArrayBuffer];
  const seen = new Set<ArrayBufferLike>();
  for (const tensor of Object.values(state.tensors)) {
    const data = tensor.data;
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer && !seen.has(data.buffer);
    if (!own) tensor.data = data.slice() as TensorArray;
    seen.add(tensor.data.buffer);
  }
  return [...seen] as ArrayBuffer[];
}

/** A deep copy (tensors and scalars), packed: what a worker continues from when it has no buffers of its own yet. */
export function copyState(state: State): State {
  return packInto({ ...state, schema: { ...state.schema }, tensors: {}, scalars: structuredClone(state.scalars) }, state);
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
