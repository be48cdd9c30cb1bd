// `boundless convert --input X --format F --to csv|libsvm|jsonl|recordio --output Y`
import { formatNames, readBatches, type FormatName } from '../io/read-batches.js';
import { outputFormats } from '../io/formats/row-writers.js';
import { writeRows } from '../io/write-rows.js';
import { choiceOption, integerOption, parseArguments, type OptionSpec } from './arguments.js';

export const convertOptions: Record<string, OptionSpec> = {
  input: { value: true, required: true, description: "a file, directory, glob, or '-' for stdin" },
  format: { value: true, required: true, description: formatNames.join('|') },
  to: { value: true, required: true, description: outputFormats.join('|') },
  output: { value: true, required: true, description: "a file, or '-' for stdout" },
  'feature-dim': { value: true, description: 'features per row (libsvm, jsonl and recordio need it)' },
  'label-size': { value: true, description: '1 (records have a label, the default) or 0' },
  header: { description: 'CSV: skip the first line of each file' },
  delimiter: { value: true, description: 'CSV: the delimiter byte' },
  'zero-based': { description: 'libsvm: indices start at 0' },
  'hash-bits': { value: true, description: 'VW: hash features into 2^b buckets' },
  sparse: { description: 'jsonl/recordio input: read as sparse rows' },
  'on-bad-record': { value: true, description: 'error|skip' },
  'mini-batch-size': { value: true, description: 'rows per batch while converting' },
};

export async function convert(argv: string[]): Promise<Record<string, unknown>> {
  const { options } = parseArguments('convert', argv, convertOptions);
  const format = choiceOption<FormatName>('convert', options, 'format', formatNames)!;
  const to = choiceOption('convert', options, 'to', outputFormats)!;
  const labelSize = integerOption('convert', options, 'label-size', 0);
  if (labelSize !== undefined && labelSize > 1) throw new Error('convert: --label-size must be 0 or 1');
  const stream = readBatches(options.input as string, {
    format,
    miniBatchSize: integerOption('convert', options, 'mini-batch-size') ?? 4096,
    featureDim: integerOption('convert', options, 'feature-dim'),
    labelSize: labelSize as 0 | 1 | undefined,
    header: options.header === true,
    delimiter: options.delimiter as string | undefined,
    zeroBased: options['zero-based'] === true,
    hashBits: integerOption('convert', options, 'hash-bits'),
    sparse: options.sparse === true,
    onBadRecord: choiceOption('convert', options, 'on-bad-record', ['error', 'skip'] as const),
  });
  const output = options.output as string;
  const written = await writeRows(stream, to, output === '-' ? process.stdout : output);
  return { input: options.input, output, from: format, to, records: written.records, bytes: written.bytes,
    featureDim: stream.featureDim, badRecords: stream.stats.badRecords };
}
