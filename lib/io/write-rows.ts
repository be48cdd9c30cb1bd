// Writes a stream of batches in an output format to a path (a regular file
// atomically: a failed conversion leaves no half-written file; a device or
// FIFO directly, see output-file.ts) or to a Writable such as stdout,
// waiting for the writer to drain so memory stays flat.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Batch } from '../data/batch.js';
import { formatRow, formatsWithWeights, type OutputFormat } from './formats/row-writers.js';
import { openOutput } from './output-file.js';

export interface WriteSummary {
  records: number;
  bytes: number;
  /** Rows with a weight other than 1 written to a format that cannot hold it. */
  droppedWeights: number;
}

async function writeAll(batches: AsyncIterable<Batch>, to: OutputFormat, out: Writable): Promise<WriteSummary> {
  const summary: WriteSummary = { records: 0, bytes: 0, droppedWeights: 0 };
  const keepsWeights = formatsWithWeights.includes(to);
  for await (const batch of batches) {
    const parts: (string | Uint8Array)[] = [];
    for (let r = 0; r < batch.rows; r++) {
      parts.push(formatRow(batch, r, to));
      if (!keepsWeights && batch.weights && batch.weights[r] !== 1) summary.droppedWeights++;
    }
    const chunk = typeof parts[0] === 'string' ? Buffer.from(parts.join('')) : Buffer.concat(parts as Uint8Array[]);
    summary.records += batch.rows;
    summary.bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return summary;
}

export async function writeRows(batches: AsyncIterable<Batch>, to: OutputFormat, output: string | Writable):
  Promise<WriteSummary> {
  if (typeof output !== 'string') return writeAll(batches, to, output);
  const file = await openOutput(output);
  try {
    const result = await writeAll(batches, to, file.stream);
    await file.commit();
    return result;
  } catch (error) {
    await file.abort();
    throw error;
  }
}
