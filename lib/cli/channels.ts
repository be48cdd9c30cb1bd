// Data options shared by the commands that read data (train, predict,
// evaluate, convert, recommend): format, feature_dim, label size, header,
// bad-record policy, record size.
import { delimiterInNumbers, formatNames, numberCharacters, vwWidthMismatch, type FormatName, type ReadOptions } from '../io/read-options.js';
import { choiceOption, integerOption, UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';
import { movedLabelColumn, recordPositions } from '../train/schema.js';
import { withArticle } from '../algorithms/article.js';

export const dataOptions: Record<string, OptionSpec> = {
  format: { value: true, description: formatNames.join('|') + " (default csv; deepar: series, DeepAR's JSON Lines)" },
  'feature-dim': { value: true, description: 'features per row (libsvm and jsonl need it; csv and recordio read it from the first record); text: the hash buckets (train: or --hp feature_dim)' },
  'label-size': { value: true, description: '1 (records have a label) or 0' },
  'label-column': { value: true, description: "CSV: the label's column, counted from 1 (default 1, SageMaker's convention)" },
  'ignore-columns': { value: true, description: "CSV: columns to read past, counted from 1, comma-separated (row names: 1 for R's write.csv and pandas' to_csv; identifiers), or none (not the model's)" },
  header: { description: 'CSV: skip the first line of each file' },
  delimiter: { value: true, description: "CSV: the delimiter, one byte ('\\t' or tab for a tab)" },
  'zero-based': { description: 'libsvm: indices start at 0' },
  'hash-bits': { value: true, description: 'VW: hash features into 2^b buckets' },
  sparse: { description: 'jsonl/recordio: read as sparse rows' },
  'on-bad-record': { value: true, description: 'error|skip' },
  'mini-batch-size': { value: true, description: 'rows per batch read (the linear learner rounds it up to whole optimizer steps of mini_batch_size rows)' },
  'max-record-bytes': { value: true, description: 'longest record in bytes (default 1 MiB, recordio 16 MiB, a DeepAR series line 64 MiB)' },
  'algorithm-module': { value: true, repeat: true, description: 'a module exporting algorithms of your own' },
};

/** The data options that shape rows of features; a forecaster's series have none, and it ignored them without a word. */
const rowOptions = ['feature-dim', 'label-size', 'label-column', 'ignore-columns', 'header', 'delimiter', 'zero-based', 'hash-bits', 'sparse'];

/** A forecaster (deepar) reads whole time series: refuses the row options given, naming them. */
export function refuseRowOptions(command: string, algorithm: string, options: ParsedArguments['options'], model = false): void {
  const given = rowOptions.filter((name) => options[name] !== undefined).map((name) => `--${name}`);
  if (given.length === 0) return;
  const one = given.length === 1;
  throw new UsageError(`${command}: ${given.join(', ')} ${one ? 'is' : 'are'} for rows of features; ${model ? `${withArticle(algorithm)} model` : algorithm} ` +
    `reads whole time series (--format series: DeepAR's JSON Lines): leave ${one ? 'it' : 'them'} out`);
}

/** --delimiter: one byte; '\t' (as typed in a shell) and 'tab' mean a tab. */
function delimiterOption(command: string, raw: ParsedArguments['options'][string]): string | undefined {
  if (raw === undefined) return undefined;
  const value = raw === '\\t' || raw === 'tab' ? '\t' : String(raw);
  if (Buffer.byteLength(value) !== 1) throw new UsageError(`${command}: --delimiter must be one byte ('\\t' or tab for a tab), got ${JSON.stringify(raw)}`);
  if (numberCharacters.includes(value)) throw new UsageError(`${command}: --${delimiterInNumbers(value)}`);
  return value;
}

/** Column numbers --ignore-columns takes: 1 to 2^24 (the parser's bound). */
const maxColumn = 2 ** 24;

/** --ignore-columns: 1-based column numbers, comma-separated, each once, or none; returned 0-based. */
function ignoreColumnsOption(command: string, raw: ParsedArguments['options'][string]): number[] | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (text.trim() === 'none') return [];
  const columns = text.split(',').map((part) => part.trim());
  if (columns.some((c) => !/^[0-9]{1,9}$/.test(c) || Number(c) < 1 || Number(c) > maxColumn)) {
    throw new UsageError(`${command}: --ignore-columns takes column numbers counted from 1 (to ${maxColumn}), separated by commas (1 or 1,4), ` +
      `or none, got ${JSON.stringify(text)}`);
  }
  const numbers = columns.map(Number);
  const twice = numbers.find((c, i) => numbers.indexOf(c) !== i);
  if (twice !== undefined) throw new UsageError(`${command}: --ignore-columns names column ${twice} twice`);
  return numbers.map((c) => c - 1);
}

/**
 * The data options of a command. `defaults.featureDim`, `defaults.labelColumn` (0-based): the model's (predict, evaluate);
 * `defaults.hyperparameterFeatureDim`: the hyperparameters give feature_dim (train), which then
 * stands in for --feature-dim. `defaults.resumedFeatureDim`: the width of the checkpoint a
 * --resume continues, taken where the format needs a width given (libsvm, JSON Lines, text); a
 * CSV's width is read from its rows, and another than the checkpoint's is refused by name.
 */
export function readOptionsFrom(command: string, options: ParsedArguments['options'],
  defaults: { labelSize: 0 | 1; featureDim?: number; labelColumn?: number; ignoreColumns?: readonly number[]; hyperparameterFeatureDim?: boolean; format?: FormatName;
    resumedFeatureDim?: number }):
  Omit<ReadOptions, 'miniBatchSize'> & { miniBatchSize?: number } {
  const format = choiceOption<FormatName>(command, options, 'format', formatNames) ?? defaults.format ?? 'csv';
  const givenLabelSize = integerOption(command, options, 'label-size', 0);
  if (givenLabelSize !== undefined && givenLabelSize > 1) throw new UsageError(`${command}: --label-size must be 0 or 1, got ${givenLabelSize}`);
  if (format === 'text' && givenLabelSize === 1) throw new UsageError(`${command}: --format text has no labels (its records are documents): --label-size must be 0`);
  const labelColumn = integerOption(command, options, 'label-column');
  if (labelColumn !== undefined && format !== 'csv') {
    throw new UsageError(`${command}: --label-column is for CSV (${format === 'text' ? '--format text has no labels' : `--format ${format} marks its labels itself`})`);
  }
  if (labelColumn !== undefined && givenLabelSize === 0) {
    throw new UsageError(`${command}: --label-column names the label's column, and --label-size 0 says the rows have none: give one of them`);
  }
  // Naming the label's column says the rows have one (predict and the unsupervised algorithms read none by default).
  const labelSize = format === 'text' ? 0 : givenLabelSize ?? (labelColumn !== undefined ? 1 : defaults.labelSize);
  // The model's label column, when the rows have labels and no other is named (a model trained with --label-column 3).
  const givenIgnored = ignoreColumnsOption(command, options['ignore-columns']);
  let column = labelColumn !== undefined ? labelColumn - 1 : labelSize === 1 && format === 'csv' ? defaults.labelColumn : undefined;
  // The model's label column counted its ignored columns: other ones given here move it (--ignore-columns none on a file without row names).
  if (labelColumn === undefined && givenIgnored !== undefined && column !== undefined && defaults.ignoreColumns?.length) {
    column = movedLabelColumn(column, defaults.ignoreColumns, givenIgnored);
  }
  const ignoreColumns = ignoreColumnsFor(command, options, format, labelSize, column, defaults.ignoreColumns, givenIgnored);
  const givenFeatureDim = integerOption(command, options, 'feature-dim');
  // Indices are 32-bit: past that the reader's own check said "StreamParser: featureDim …", exit 1.
  if (givenFeatureDim !== undefined && givenFeatureDim > 2 ** 32) {
    throw new UsageError(`${command}: --feature-dim must be at most 4294967296 (2^32: feature indices are 32-bit), got ${givenFeatureDim}`);
  }
  // predict and evaluate read rows of the model's width: another was read, then refused row by row without the file's name.
  if (command !== 'train' && givenFeatureDim !== undefined && defaults.featureDim !== undefined && givenFeatureDim !== defaults.featureDim && format !== 'vw') {
    throw new UsageError(`${command}: --feature-dim ${givenFeatureDim}, but the model has ${defaults.featureDim} features (feature_dim): leave --feature-dim out`);
  }
  const widthGiven = format === 'libsvm' || format === 'jsonl' || format === 'text';
  const featureDim = givenFeatureDim ?? defaults.featureDim ?? (widthGiven && !defaults.hyperparameterFeatureDim ? defaults.resumedFeatureDim : undefined);
  if (ignoreColumns?.length && featureDim !== undefined && format === 'csv') {
    const width = featureDim + (labelSize === 1 ? 1 : 0) + ignoreColumns.length;
    const beyond = ignoreColumns.find((c) => c >= width);
    if (beyond !== undefined) {
      throw new UsageError(`${command}: --ignore-columns ${beyond + 1} is beyond the rows' ${width} columns (${givenFeatureDim !== undefined ? '--feature-dim' : "the model's feature_dim"} ` +
        `${featureDim}${labelSize === 1 ? ', the label' : ''} and ${ignoreColumns.length} read past)`);
    }
  }
  const orHyperparameter = command === 'train' ? ' or --hp feature_dim=N' : '';
  if ((format === 'libsvm' || format === 'jsonl') && featureDim === undefined && !defaults.hyperparameterFeatureDim) {
    throw new UsageError(`${command}: --format ${format} needs --feature-dim${orHyperparameter} (the number of features; for sparse rows, the index bound)`);
  }
  if (format === 'text' && featureDim === undefined && !defaults.hyperparameterFeatureDim) {
    throw new UsageError(`${command}: --format text needs --feature-dim${orHyperparameter} (the number of hash buckets words fall into)`);
  }
  let hashBits = integerOption(command, options, 'hash-bits');
  if (hashBits !== undefined && hashBits > 31) throw new UsageError(`${command}: --hash-bits must be an integer in [1, 31], got ${hashBits}`);
  // A model trained on VW text hashed into 2^b buckets: its feature_dim says b (predict, evaluate).
  const modelBits = defaults.featureDim !== undefined ? Math.log2(defaults.featureDim) : NaN;
  if (format === 'vw' && hashBits === undefined && Number.isInteger(modelBits) && modelBits >= 1 && modelBits <= 31) hashBits = modelBits;
  if (format === 'vw' && givenFeatureDim !== undefined && givenFeatureDim !== 2 ** (hashBits ?? 18)) {
    throw new UsageError(`${command}: ${vwWidthMismatch(givenFeatureDim, hashBits ?? 18, '--feature-dim', '--hash-bits')}`);
  }
  if (format === 'vw' && defaults.featureDim !== undefined && defaults.featureDim !== 2 ** (hashBits ?? 18)) {
    const bits = hashBits ?? 18;
    throw new UsageError(`${command}: the model has ${defaults.featureDim} features (feature_dim), but --format vw hashes into 2^${bits} = ${2 ** bits}` +
      (Number.isInteger(modelBits) ? `: give --hash-bits ${modelBits}` : ' (a model trained on vw rows has a power of two: this one was trained on another format)'));
  }
  return {
    format,
    featureDim,
    labelSize: labelSize as 0 | 1,
    // The first column named (--label-column 1) is kept: a continued state's own column must not replace it.
    ...(column !== undefined && (column > 0 || labelColumn !== undefined) ? { labelColumn: column } : {}),
    // None (--ignore-columns none, or a model trained so) is kept: it also says that columns named as row names (X, id) are data.
    ...(ignoreColumns !== undefined ? { ignoreColumns } : {}),
    header: options.header === true,
    delimiter: delimiterOption(command, options.delimiter),
    zeroBased: options['zero-based'] === true,
    hashBits,
    sparse: options.sparse === true,
    onBadRecord: choiceOption(command, options, 'on-bad-record', ['error', 'skip'] as const),
    miniBatchSize: integerOption(command, options, 'mini-batch-size'),
    maxRecordBytes: integerOption(command, options, 'max-record-bytes'),
  };
}

/**
 * The CSV columns to read past: --ignore-columns, else the model's (stored as positions among the
 * columns other than the label's: placed here around this command's label column, if it reads one).
 */
function ignoreColumnsFor(command: string, options: ParsedArguments['options'], format: FormatName, labelSize: number,
  labelColumn: number | undefined, model: readonly number[] | undefined, given: number[] | undefined): number[] | undefined {
  if (given !== undefined && format !== 'csv') throw new UsageError(`${command}: --ignore-columns is for CSV (columns by position), not --format ${format}`);
  const label = labelSize === 1 ? labelColumn ?? 0 : undefined;
  if (given !== undefined && label !== undefined && given.includes(label)) {
    throw new UsageError(`${command}: --ignore-columns names the label's column (${label + 1}${labelColumn === undefined ? ', the first by default' : ''}): ` +
      'name the label with --label-column N, or read rows without one with --label-size 0');
  }
  if (given !== undefined || format !== 'csv' || model === undefined) return given;
  return recordPositions(model, label);
}

