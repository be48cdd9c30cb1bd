// `boundless inspect`: what a state or model file holds, without trusting it
// (the same validating reader as every load).
import { readStoredObject } from '../state/checkpoint.js';
import { dtypeOf } from '../state/tensor.js';

export async function inspectFile(path: string): Promise<Record<string, unknown>> {
  const stored = await readStoredObject(path);
  const tensors: Record<string, unknown> = {};
  let bytes = 0;
  for (const [name, tensor] of Object.entries(stored.tensors)) {
    tensors[name] = { dtype: dtypeOf(tensor), shape: tensor.shape };
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
