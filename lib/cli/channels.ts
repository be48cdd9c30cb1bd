// Data options shared by the commands that read data (train, predict,
// evaluate, convert, recommend): format, feature_dim, label size, header,
// bad-record policy, record size.
import { formatNames, type FormatName, type ReadOptions } from '../io/read-options.js';
import { choiceOption, integerOption, UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';

export const dataOptions: Record<string, OptionSpec> = {
  format: { value: true, description: formatNames.join('|') + ' (default csv)' },
  'feature-dim': { value: true, description: 'features per row (libsvm and jsonl need it; csv and recordio read it from the first record)' },
  'label-size': { value: true, description: '1 (records have a label) or 0' },
  header: { description: 'CSV: skip the first line of each file' },
  delimiter: { value: true, description: 'CSV: the delimiter byte' },
  'zero-based': { description: 'libsvm: indices start at 0' },
  'hash-bits': { value: true, description: 'VW: hash features into 2^b buckets' },
  sparse: { description: 'jsonl/recordio: read as sparse rows' },
  'on-bad-record': { value: true, description: 'error|skip' },
  'mini-batch-size': { value: true, description: 'rows per batch' },
  'max-record-bytes': { value: true, description: 'longest record in bytes (default 1 MiB, recordio 16 MiB)' },
  'algorithm-module': { value: true, repeat: true, description: 'a module exporting algorithms of your own' },
};

export function readOptionsFrom(command: string, options: ParsedArguments['options'], defaults: { labelSize: 0 | 1; featureDim?: number }):
  Omit<ReadOptions, 'miniBatchSize'> & { miniBatchSize?: number } {
  const labelSize = integerOption(command, options, 'label-size', 0) ?? defaults.labelSize;
  if (labelSize > 1) throw new UsageError(`${command}: --label-size must be 0 or 1, got ${labelSize}`);
  return {
    format: choiceOption<FormatName>(command, options, 'format', formatNames) ?? 'csv',
    featureDim: integerOption(command, options, 'feature-dim') ?? defaults.featureDim,
    labelSize: labelSize as 0 | 1,
    header: options.header === true,
    delimiter: options.delimiter as string | undefined,
    zeroBased: options['zero-based'] === true,
    hashBits: integerOption(command, options, 'hash-bits'),
    sparse: options.sparse === true,
    onBadRecord: choiceOption(command, options, 'on-bad-record', ['error', 'skip'] as const),
    miniBatchSize: integerOption(command, options, 'mini-batch-size'),
    maxRecordBytes: integerOption(command, options, 'max-record-bytes'),
  };
}
