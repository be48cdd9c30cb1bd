// Writes a stream of batches in an output format to a path (a regular file
// atomically: a failed conversion leaves no half-written file; a device or
// FIFO directly, see output-file.ts) or to a Writable such as stdout. The
// rows are encoded natively (native/io/row_writer.cc), a batch at a time, into
// two reused buffers, off the event loop; the writer waits for the stream to
// drain, so memory stays flat.
import type { Writable } from 'node:stream';
import { loadCoreAddon } from '../backends/native-addon.js';
import type { Batch } from '../data/batch.js';
import { formatsWithWeights, type OutputFormat } from './formats/row-writers.js';
import { openOutput } from './output-file.js';
import { OutputBuffers } from './output-buffers.js';

export interface WriteSummary {
  records: number;
  bytes: number;
  /** Rows with a weight other than 1 written to a format that cannot hold it. */
  droppedWeights: number;
}

function weightsOtherThanOne(batch: Batch): number {
  if (!batch.weights) return 0;
  let count = 0;
  for (let r = 0; r < batch.rows; r++) if (batch.weights[r] !== 1) count++;
  return count;
}

async function writeAll(batches: AsyncIterable<Batch>, to: OutputFormat, out: Writable): Promise<WriteSummary> {
  const addon = loadCoreAddon();
  const summary: WriteSummary = { records: 0, bytes: 0, droppedWeights: 0 };
  const keepsWeights = formatsWithWeights.includes(to);
  const buffers = new OutputBuffers();
  for await (const batch of batches) {
    if (!keepsWeights) summary.droppedWeights += weightsOtherThanOne(batch);
    const { slot, buffer } = await buffers.take(addon.rowBytesBound(to, batch));
    const length = await addon.encodeRows(to, batch, buffer);
    summary.records += batch.rows;
    summary.bytes += length;
    buffers.write(out, slot, length);
  }
  await buffers.settle();
  return summary;
}

/**
 * Writes every batch's rows in format `to` to a path or a Writable; the records, bytes and dropped
 * weights written. `check` sees the summary before a file is committed: what it throws leaves no file.
 */
export async function writeRows(batches: AsyncIterable<Batch>, to: OutputFormat, output: string | Writable,
  check: (summary: WriteSummary) => void = () => {}): Promise<WriteSummary> {
  if (typeof output !== 'string') {
    const result = await writeAll(batches, to, output);
    check(result);
    return result;
  }
  const file = await openOutput(output);
  try {
    const result = await writeAll(batches, to, file.stream);
    check(result);
    await file.commit();
    return result;
  } catch (error) {
    throw await file.abort(error);
  }
}
