// `boundless inspect`: what a state or model file holds, without trusting it
// (the same validating reader as every load).
import { readStoredObject } from '../state/checkpoint.js';
import { dtypeOf } from '../state/tensor.js';

/** Tensors of at most this many values are printed with them. */
const smallTensor = 16;

/**
 * The shortest decimal that reads back as the same float32 (0.1, not 0.10000000149011612, which
 * is the float32 nearest 0.1 written out as a float64): the digits the value has.
 */
export function float32Value(value: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return shorter;
  }
  return Number(value.toPrecision(9));
}

export async function inspectFile(path: string): Promise<Record<string, unknown>> {
  const stored = await readStoredObject(path);
  const tensors: Record<string, unknown> = {};
  let bytes = 0;
  for (const [name, tensor] of Object.entries(stored.tensors)) {
    // Small tensors are read for their values (PCA's explained_variance_ratio, a model's bias).
    // JSON has no NaN or ±Infinity (they would print as null): those are written as strings.
    const single = tensor.data instanceof Float32Array;
    const values = tensor.data.length <= smallTensor
      ? { values: Array.from(tensor.data as ArrayLike<number | bigint>, (v) => (Number.isFinite(Number(v)) ? (single ? float32Value(Number(v)) : Number(v)) : String(Number(v)))) } : {};
    tensors[name] = { dtype: dtypeOf(tensor), shape: tensor.shape, ...values };
    bytes += tensor.data.byteLength;
  }
  return {
    file: path,
    kind: stored.kind,
    algorithm: stored.algorithm,
    hyperparameters: stored.hyperparameters,
    // A vocabulary of thousands of words is said, not printed.
    schema: Array.isArray(stored.schema.vocabulary) ? { ...stored.schema, vocabulary: `${stored.schema.vocabulary.length} words` } : stored.schema,
    scalars: stored.scalars,
    ...(stored.training ? { training: stored.training } : {}),
    tensors,
    tensorBytes: bytes,
  };
}
