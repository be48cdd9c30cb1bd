// `boundless produce --to 'redis://HOST:PORT?stream=KEY' --input FILE`: the
// records of a file (or stdin) written to a Redis stream as entries that
// `boundless train --train 'redis://...'` reads, with backpressure.
import { formatNames, type FormatName } from '../io/read-options.js';
import { splitRecords } from '../io/formats/record-splitter.js';
import { writeRecordGroups, type WriteStreamSummary } from '../io/redis/stream-writer.js';
import { openSource } from '../io/sources/open-source.js';
import { choiceOption, integerOption, parseArguments, UsageError, type OptionSpec } from './arguments.js';
import { checkUrlArgument, refuseRedisInput } from './redis-options.js';

export const produceOptions: Record<string, OptionSpec> = {
  to: { value: true, required: true, placeholder: 'URL', description: "the stream: 'redis://HOST:PORT[/DB]?stream=KEY' (rediss:// for TLS; USER:PASSWORD@ before the host)" },
  input: { value: true, required: true, description: "the records: a file, directory, glob, or '-' for stdin (gzip is read as such)" },
  format: { value: true, description: `${formatNames.join('|')} (default csv): the records' format, written as each entry's tag` },
  header: { description: 'CSV: skip the first line of each file' },
  'records-per-entry': { value: true, placeholder: 'N', description: 'records per stream entry (default 100)' },
  'max-entry-bytes': { value: true, placeholder: 'BYTES', description: 'an entry is closed once it holds this many bytes (default 1 MiB)' },
  maxlen: { value: true, placeholder: 'N', description: 'trim the stream to about N entries (XADD MAXLEN ~): the oldest go, read or not' },
  'max-lag': { value: true, placeholder: 'N', description: "wait while the group has N entries or more not yet delivered (Redis 7's lag): nothing is lost" },
  job: { value: true, placeholder: 'NAME', description: 'the consumer group --max-lag watches (default boundless; created when absent)' },
  end: { description: 'write the end-of-stream entry after the records: the job\'s members stop when it is delivered' },
  'max-record-bytes': { value: true, placeholder: 'BYTES', description: 'longest record (default 1 MiB, recordio 16 MiB)' },
};

export async function produceCommand(argv: string[]): Promise<WriteStreamSummary> {
  const { options } = parseArguments('produce', argv, produceOptions);
  const to = options.to as string;
  checkUrlArgument('produce', 'to', to, true);
  refuseRedisInput('produce', 'input', options.input);
  const maxLen = integerOption('produce', options, 'maxlen');
  const maxLag = integerOption('produce', options, 'max-lag');
  if (maxLen !== undefined && maxLag !== undefined) {
    throw new UsageError('produce: give --maxlen (trim the oldest entries) or --max-lag (wait for the consumers), not both');
  }
  const format: FormatName = choiceOption('produce', options, 'format', formatNames) ?? 'csv';
  if (options.job === '') throw new UsageError('produce: --job must not be empty');
  const source = await openSource(options.input as string);
  if (source.kind !== 'bytes') throw new Error('produce: --input must be bytes (a file or stdin)');
  const records = splitRecords(source.chunks(), { format, header: options.header === true, maxRecordBytes: integerOption('produce', options, 'max-record-bytes') });
  return writeRecordGroups(to, undefined, records, {
    format, maxLen, maxLag, end: options.end === true, group: options.job as string | undefined,
    recordsPerEntry: integerOption('produce', options, 'records-per-entry'),
    maxEntryBytes: integerOption('produce', options, 'max-entry-bytes'),
    onWaiting: (group, lag, seconds) => process.stderr.write(`produce: waiting ${seconds} s so far: group '${group}' has ${lag} entries ` +
      `not yet delivered (--max-lag ${maxLag}); is a member reading with --job ${group}?\n`),
  });
}
