// Records that are already values: any sync or async iterable of objects
// ({features, label, weight}) or of arrays and typed arrays ([label,
// ...features] when labelled). A database cursor
// (better-sqlite3's iterate()) or a generator feeds training directly.
import type { RecordInput, RecordSource } from './types.js';

export function recordSource(input: AsyncIterable<RecordInput> | Iterable<RecordInput>, description = 'records'): RecordSource {
  let used = false;
  return {
    kind: 'records',
    description,
    seekable: false,
    async *records(start) {
      if (used) throw new Error(`${description}: an iterable can be read once`);
      used = true;
      let skip = start?.records ?? 0;
      for await (const record of input as AsyncIterable<RecordInput>) {
        // A resumed run skips what the checkpoint had already consumed.
        if (skip > 0) {
          skip--;
          continue;
        }
        yield record;
      }
    },
  };
}
