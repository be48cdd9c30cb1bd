// One batch row in each output format, for `boundless convert` and for
// anyone writing data out: CSV (label first, as SageMaker reads it),
// libsvm (1-based indices), JSON Lines (with the row's weight), and framed
// recordIO-protobuf.
import type { Batch } from '../../data/batch.js';
import { float32ToString } from './float32-text.js';
import { encodeRecord, frameRecord } from './recordio-protobuf.js';

export type OutputFormat = 'csv' | 'libsvm' | 'jsonl' | 'recordio';
export const outputFormats: readonly OutputFormat[] = ['csv', 'libsvm', 'jsonl', 'recordio'];

/** Formats with a place for a row's weight (JSON Lines' "weight", written when it is not 1). CSV, libsvm and SageMaker's recordIO have none. */
export const formatsWithWeights: readonly OutputFormat[] = ['jsonl'];

/** Indices and values of row r: every column for dense rows, the stored entries for sparse ones. */
function entries(batch: Batch, r: number): { indices: ArrayLike<number> | null; values: Float32Array } {
  if (batch.kind === 'dense') return { indices: null, values: batch.values.subarray(r * batch.cols, (r + 1) * batch.cols) };
  const begin = batch.indptr[r];
  const end = batch.indptr[r + 1];
  return { indices: batch.indices.subarray(begin, end), values: batch.values.subarray(begin, end) };
}

/** Row r as a dense array (sparse entries scattered into zeros). */
function denseRow(batch: Batch, r: number): Float32Array {
  const { indices, values } = entries(batch, r);
  if (!indices) return values;
  const row = new Float32Array(batch.cols);
  for (let k = 0; k < values.length; k++) row[indices[k]] += values[k];
  return row;
}

export function formatRow(batch: Batch, r: number, to: OutputFormat): string | Uint8Array {
  const label = batch.labels?.[r];
  switch (to) {
    case 'csv': {
      const cells = Array.from(denseRow(batch, r), float32ToString);
      if (label !== undefined) cells.unshift(float32ToString(label));
      return cells.join(',') + '\n';
    }
    case 'libsvm': {
      const { indices, values } = entries(batch, r);
      const parts = [float32ToString(label ?? 0)];
      for (let k = 0; k < values.length; k++) {
        if (indices === null && values[k] === 0) continue;
        parts.push(`${(indices === null ? k : indices[k]) + 1}:${float32ToString(values[k])}`);
      }
      return parts.join(' ') + '\n';
    }
    case 'jsonl': {
      const { indices, values } = entries(batch, r);
      const features = indices === null ? Array.from(values, float32ToString).join(',')
        : null;
      const body = features !== null ? `"features":[${features}]`
        : `"features":{"keys":[${Array.from(indices!).join(',')}],"values":[${Array.from(values, float32ToString).join(',')}],"shape":[${batch.cols}]}`;
      const weight = batch.weights?.[r];
      return `{${body}${label !== undefined ? `,"label":${float32ToString(label)}` : ''}` +
        `${weight !== undefined && weight !== 1 ? `,"weight":${float32ToString(weight)}` : ''}}\n`;
    }
    case 'recordio': {
      const { indices, values } = entries(batch, r);
      const features = indices === null ? { values } : { values, keys: indices, featureDim: batch.cols };
      return frameRecord(encodeRecord(features, label));
    }
  }
}
