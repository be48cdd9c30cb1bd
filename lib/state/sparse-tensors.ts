// Mostly-zero tensors as their non-zero elements, for states that travel
// rather than rest: a cluster job's round uploads and merges
// (lib/distributed/cluster/). There the linear learner's score histograms
// are ~95% zeros and its validation sums all zeros without a validation
// channel: 2 of a 4.7 MB state, copied, sent, parsed and collected at every
// round. Exact: values keep their bits (−0 and NaN payloads included), and a
// decoded tensor is the encoded one to the byte. Files on disk stay dense, so
// any safetensors reader takes them.
import { SafetensorsFormatError } from './safetensors.js';
import { dtypeOf, dtypes, isDtype, type Dtype, type Tensor, type TensorArray } from './tensor.js';

/** What a sparse tensor was: the metadata entry that brings it back. */
export interface SparseEntry {
  dtype: Dtype;
  shape: number[];
}

export const indicesSuffix = '.indices';
export const valuesSuffix = '.values';

/** The tensor's elements as 32-bit words (`per` words each), or undefined for 1- and 2-byte dtypes, which stay dense. */
function wordsOf(data: TensorArray): { words: Int32Array; per: number } | undefined {
  const bytes = data.BYTES_PER_ELEMENT;
  if (bytes !== 4 && bytes !== 8) return undefined;
  return { words: new Int32Array(data.buffer, data.byteOffset, data.byteLength / 4), per: bytes / 4 };
}

function nonZeroElements(words: Int32Array, per: number): number {
  let count = 0;
  if (per === 1) {
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) count++;
  } else {
    for (let i = 0; i < words.length; i += 2) if ((words[i] | words[i + 1]) !== 0) count++;
  }
  return count;
}

/** The indices and values of a tensor's non-zero elements (bit patterns other than all zeros). */
function gather(tensor: Tensor, words: Int32Array, per: number, count: number): { indices: Tensor; values: Tensor } {
  const indices = new Int32Array(count);
  const values = dtypes[dtypeOf(tensor)].create(count);
  const out = new Int32Array(values.buffer, values.byteOffset, values.byteLength / 4);
  let k = 0;
  for (let e = 0, w = 0; w < words.length; e++, w += per) {
    if (words[w] === 0 && (per === 1 || words[w + 1] === 0)) continue;
    indices[k] = e;
    out[k * per] = words[w];
    if (per === 2) out[k * per + 1] = words[w + 1];
    k++;
  }
  return { indices: { shape: [count], data: indices }, values: { shape: [count], data: values, ...(tensor.dtype ? { dtype: tensor.dtype } : {}) } };
}

/**
 * `tensors` with each tensor that takes at most three quarters of its bytes as indices and values
 * replaced by the two (`name.indices`, `name.values`), and the entries that bring those back.
 */
export function sparsify(tensors: Record<string, Tensor>): { tensors: Record<string, Tensor>; sparse: Record<string, SparseEntry> } {
  const out: Record<string, Tensor> = {};
  const sparse: Record<string, SparseEntry> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    const view = wordsOf(tensor.data);
    const length = tensor.data.length;
    const count = view && length < 2 ** 31 ? nonZeroElements(view.words, view.per) : length;
    // Each non-zero costs an index (4 bytes) beside its value.
    if (!view || (4 + 4 * view.per) * count > 0.75 * length * 4 * view.per) {
      out[name] = tensor;
      continue;
    }
    const { indices, values } = gather(tensor, view.words, view.per, count);
    out[name + indicesSuffix] = indices;
    out[name + valuesSuffix] = values;
    sparse[name] = { dtype: dtypeOf(tensor), shape: [...tensor.shape] };
  }
  return { tensors: out, sparse };
}

/** Parses the metadata entry written by sparsify; errors name `source`. */
export function parseSparseEntries(text: string, source: string): Record<string, SparseEntry> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsFormatError(`${source}: metadata 'sparse_tensors' is not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SafetensorsFormatError(`${source}: metadata 'sparse_tensors' is not an object`);
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    const { dtype, shape } = (entry ?? {}) as Record<string, unknown>;
    if (!isDtype(dtype) || dtypes[dtype].bytes < 4 || !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsFormatError(`${source}: sparse tensor '${name}' has a bad entry ${JSON.stringify(entry)}`);
    }
  }
  return value as Record<string, SparseEntry>;
}

/** `tensors` with each sparse pair made whole again; errors (a corrupt pair) name `source` and the tensor. */
export function densify(tensors: Record<string, Tensor>, sparse: Record<string, SparseEntry>, source: string): Record<string, Tensor> {
  const out = { ...tensors };
  for (const [name, { dtype, shape }] of Object.entries(sparse)) {
    const fail = (why: string): never => { throw new SafetensorsFormatError(`${source}: sparse tensor '${name}': ${why}`); };
    const indices = out[name + indicesSuffix];
    const values = out[name + valuesSuffix];
    if (out[name]) fail('also stored dense');
    if (!indices || !values) fail(`${name}${indicesSuffix} or ${name}${valuesSuffix} is missing`);
    if (!(indices.data instanceof Int32Array) || dtypeOf(values) !== dtype || indices.data.length !== values.data.length) {
      fail(`expected I32 indices and ${dtype} values of one length`);
    }
    const length = shape.reduce((a, b) => a * b, 1);
    const data = dtypes[dtype].create(length);
    const dense = wordsOf(data)!;
    const from = new Int32Array(values.data.buffer, values.data.byteOffset, values.data.byteLength / 4);
    const at = indices.data as Int32Array;
    let previous = -1;
    for (let k = 0; k < at.length; k++) {
      const e = at[k];
      if (!(e > previous && e < length)) fail(`index ${e} at ${k} is not increasing within [0, ${length})`);
      previous = e;
      dense.words[e * dense.per] = from[k * dense.per];
      if (dense.per === 2) dense.words[e * 2 + 1] = from[k * 2 + 1];
    }
    delete out[name + indicesSuffix];
    delete out[name + valuesSuffix];
    out[name] = { shape: [...shape], data };
  }
  return out;
}
