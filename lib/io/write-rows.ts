// Writes a stream of batches in an output format to a file (atomically: a
// failed conversion leaves no half-written file) or to a Writable such as
// stdout, waiting for the writer to drain so memory stays flat.
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Batch } from '../data/batch.js';
import { formatRow, type OutputFormat } from './formats/row-writers.js';

async function writeAll(batches: AsyncIterable<Batch>, to: OutputFormat, out: Writable): Promise<{ records: number; bytes: number }> {
  let records = 0;
  let bytes = 0;
  for await (const batch of batches) {
    const parts: (string | Uint8Array)[] = [];
    for (let r = 0; r < batch.rows; r++) parts.push(formatRow(batch, r, to));
    const chunk = typeof parts[0] === 'string' ? Buffer.from(parts.join('')) : Buffer.concat(parts as Uint8Array[]);
    records += batch.rows;
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return { records, bytes };
}

export async function writeRows(batches: AsyncIterable<Batch>, to: OutputFormat, output: string | Writable):
  Promise<{ records: number; bytes: number }> {
  if (typeof output !== 'string') return writeAll(batches, to, output);
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  const file = createWriteStream(temporary);
  try {
    const result = await writeAll(batches, to, file);
    file.end();
    await once(file, 'finish');
    await rename(temporary, output);
    return result;
  } catch (error) {
    file.destroy();
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
