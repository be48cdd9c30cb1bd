// Records that are already values: any sync or async iterable of objects
// ({features, label, weight}) or of arrays and typed arrays ([label,
// ...features] when labelled). A database cursor
// (better-sqlite3's iterate()) or a generator feeds training directly.
import { untilAborted } from './streams.js';
import type { RecordInput, RecordSource } from './types.js';

/**
 * A source of records read once. A stop (`signal`) ends a wait for the next record at once (a
 * cursor or generator that has stalled), as it ends a stream's wait for bytes; the iterable is
 * the caller's, and is left to settle by itself.
 */
export function recordSource(input: AsyncIterable<RecordInput> | Iterable<RecordInput>, description = 'records', signal?: AbortSignal): RecordSource {
  let used = false;
  // An array can be read again, and from any record: several epochs, and a resume, as a file can.
  const again = Array.isArray(input);
  return {
    kind: 'records',
    description,
    seekable: again,
    async *records(start) {
      if (used && !again) throw new Error(`${description}: an iterable can be read once`);
      used = true;
      let skip = start?.records ?? 0;
      for await (const record of untilAborted(asAsync(input), signal, undefined)) {
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

/**
 * An async iterable as it is (its return() then reaches it at once: a generator around it would wait
 * for a read in flight first); a sync one wrapped.
 */
function asAsync<T>(input: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> {
  if (typeof (input as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') return input as AsyncIterable<T>;
  return (async function* () {
    yield* input as Iterable<T>;
  })();
}
