// `boundless inspect`: what a state or model file holds, without trusting it
// (the same validating reader as every load).
import { readStoredObject } from '../state/checkpoint.js';
import { dtypeOf } from '../state/tensor.js';

/** Tensors of at most this many values are printed with them. */
const smallTensor = 16;

export async function inspectFile(path: string): Promise<Record<string, unknown>> {
  const stored = await readStoredObject(path);
  const tensors: Record<string, unknown> = {};
  let bytes = 0;
  for (const [name, tensor] of Object.entries(stored.tensors)) {
    // Small tensors are read for their values (PCA's explained_variance_ratio, a model's bias).
    // JSON has no NaN or ±Infinity (they would print as null): those are written as strings.
    const values = tensor.data.length <= smallTensor
      ? { values: Array.from(tensor.data as ArrayLike<number | bigint>, (v) => (Number.isFinite(Number(v)) ? Number(v) : String(Number(v)))) } : {};
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
