// `boundless predict`, `boundless evaluate`, `boundless recommend` and
// `boundless select`: the commands that use a saved model or state. The algorithm is named in the
// file's metadata.
import { listenForInterrupt } from './interrupt.js';
import { existsSync, statSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { getAlgorithm, loadAlgorithmModule } from '../algorithms/registry.js';
import type { Algorithm, Selection } from '../algorithms/types.js';
import type { Batch } from '../data/batch.js';
import { loadCoreAddon, type NativePredictionOutput } from '../backends/native-addon.js';
import { resolveBackend, type BackendChoice } from '../backends/select.js';
import type { Backend } from '../backends/registry.js';
import { declinedWarnings, type KernelCounts } from '../backends/kernel-counters.js';
import { readBatches } from '../io/read-batches.js';
import { isStdout, openOutput } from '../io/output-file.js';
import { OutputBuffers } from '../io/output-buffers.js';
import { DataError } from '../io/read-options.js';
import { noRecordsMessage, skippedCounts } from '../io/no-records.js';
import { readStoredObject } from '../state/checkpoint.js';
import { loadState, modelFromStored, saveModel } from '../algorithms/persistence.js';
import { choiceOption, integerOption, InterruptedError, parseArguments, UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';
import { dataOptions, readOptionsFrom, refuseRowOptions } from './channels.js';
import { sageMakerFinalLines } from './progress.js';
import { refuseRedisInput } from './redis-options.js';
import { forecastEvaluate, forecastPredict } from './forecast.js';
import type { DeeparModel } from '../algorithms/deepar/model.js';
import { makeDirectory } from '../io/make-directory.js';
import { withArticle } from '../algorithms/article.js';

/** Says on stderr, once, how many bad records --on-bad-record skip left out; their counts for the summary. */
function reportSkipped(command: string, bad: Record<string, number>, consequence: string, [one, many] = ['record', 'records']): { badRecords?: Record<string, number> } {
  const { total, reasons } = skippedCounts(bad);
  if (total === 0) return {};
  process.stderr.write(`boundless: ${command}: skipped ${total} bad ${total === 1 ? one : many} (${reasons}); ${consequence}\n`);
  return { badRecords: bad };
}

/**
 * Says on stderr how many blank lines predict read past: they are no records, so the output had
 * fewer lines than the input without a word, and lines pasted beside the input's went out of step.
 */
function reportBlankLines(count: number | undefined, format: string | undefined): { blankLines?: number } {
  if (!count) return {};
  const what = `${format === 'libsvm' ? 'blank or comment line' : 'blank line'}${count === 1 ? '' : 's'}`;
  process.stderr.write(`boundless: predict: read past ${count} ${what} (no records); the output has one line per record, not per input line\n`);
  return { blankLines: count };
}

/** The file (read once), the algorithm its metadata names, and its data width. */
async function algorithmOf(path: string, options: Record<string, unknown>) {
  for (const module of (options['algorithm-module'] as string[] | undefined) ?? []) await loadAlgorithmModule(module);
  const stored = await readStoredObject(path);
  return { stored, algorithm: getAlgorithm(stored.algorithm), featureDim: stored.schema.featureDim as number };
}

/** What predict and evaluate share: the model, on the chosen backend. */
/** --model: a model file, or the directory `train --model-dir` wrote (its model.safetensors). */
export function modelFile(command: string, given: string): string {
  if (!existsSync(given) || !statSync(given).isDirectory()) return given;
  const inside = join(given, 'model.safetensors');
  if (!existsSync(inside)) throw new UsageError(`${command}: --model ${given} is a directory without a model.safetensors (pass the file, or the --model-dir of a train)`);
  return inside;
}

async function openModel(command: string, options: Record<string, unknown>) {
  const path = modelFile(command, options.model as string);
  const { stored, algorithm, featureDim } = await algorithmOf(path, options);
  const backend = await resolveBackend(choiceOption<BackendChoice>(command, options as never, 'backend', ['auto', 'cpu', 'cuda', 'webgpu']));
  return { path, algorithm, featureDim, backend, model: modelFromStored(stored, algorithm, backend, path) };
}

/** The CSV label column (0-based) the model was trained with, when not the first (train --label-column). */
function labelColumnOf(model: { data(): { schema: Record<string, unknown> } }): number | undefined {
  const column = model.data().schema.labelColumn;
  return typeof column === 'number' ? column : undefined;
}

/** The CSV columns the model's training read past (train --ignore-columns), among the columns other than the label's. */
/** The model's feature names, which a CSV header read with --header must give in order (train keeps them from a header). */
function modelFeatureNames(model: { data(): { schema: Record<string, unknown> } }, data: { header?: boolean; format?: string }): { featureNames?: string[] } {
  const names = model.data().schema.featureNames;
  const usable = data.header === true && (data.format ?? 'csv') === 'csv' && Array.isArray(names) && names.every((n) => typeof n === 'string');
  return usable ? { featureNames: names as string[] } : {};
}

function ignoreColumnsOf(model: { data(): { schema: Record<string, unknown> } }): number[] | undefined {
  const columns = model.data().schema.ignoreColumns;
  return Array.isArray(columns) && columns.every((c) => typeof c === 'number') ? columns as number[] : undefined;
}

/**
 * A record-width error where the model's read-past columns applied by default: said, since rows
 * without those columns (a file written without row names) are the likely cause.
 */
function withLayoutHint(error: unknown, options: Record<string, unknown>, model: { data(): { schema: Record<string, unknown> } }): unknown {
  const ignored = ignoreColumnsOf(model);
  if (!(error instanceof DataError) || options['ignore-columns'] !== undefined || !ignored?.length || !/: expected \d+ columns, found \d+/.test(error.message)) return error;
  return new DataError(`${error.message}; the model reads past ${ignored.length === 1 ? 'a column' : `${ignored.length} columns`} of each row ` +
    '(it was trained with --ignore-columns): --ignore-columns none reads every column of rows that lack them');
}

/**
 * Every record skipped, most for their column count: what the error without --on-bad-record skip
 * says of its first record (a label column read as a feature), said here as a possibility.
 */
function widthHint(badRecords: Record<string, number>, model: { data(): { schema: Record<string, unknown> } }): string {
  const { total } = skippedCounts(badRecords);
  const features = Number(model.data().schema.featureDim);
  if (!((badRecords.column_count ?? 0) * 2 > total) || !(features > 0)) return '';
  return ` The model takes ${features.toLocaleString('en-US')} feature${features === 1 ? '' : 's'} a row: if a column is the label, read it as one: ` +
    '--label-size 1, and --label-column N if it is not the first';
}

const statsOption: OptionSpec = {
  description: "add metrics.kernels to the printed JSON: each kernel's backend, calls and fallbacks to cpu (predict to stdout: the summary goes to stderr)",
};

/** Says on stderr why the command's backend ran calls on cpu (kernels it declined), as train warns. */
function warnDeclined(command: string, backend: Backend): void {
  for (const message of declinedWarnings(backend.name, backend.counters.snapshot())) process.stderr.write(`boundless: ${command}: warning: ${message}\n`);
}

/** metrics.kernels for --stats: what the command's backend ran. */
function statsOf(options: Record<string, unknown>, backend: Backend): { metrics?: { kernels: KernelCounts } } {
  return options.stats === true ? { metrics: { kernels: backend.counters.snapshot() } } : {};
}

export const predictOptions: Record<string, OptionSpec> = {
  model: { value: true, required: true, description: "a model.safetensors, or the directory train's --model-dir wrote" },
  input: { value: true, required: true, description: "data to score: a file, directory, glob, or '-'" },
  output: { value: true, description: "where the JSON Lines go (default '-', stdout)" },
  backend: { value: true, description: 'auto|cpu|cuda|webgpu' },
  threshold: { value: true, description: 'binary classifiers: decision threshold for this request (a probability for logistic loss)' },
  seed: { value: true, description: "forecasters: the sample paths' seed (default the model's)" },
  configuration: { value: true, description: 'forecasters: SageMaker\'s inference configuration as JSON, e.g. \'{"num_samples":100,"output_types":["mean","quantiles"],"quantiles":["0.1","0.9"]}\' (default: DEEPAR_INFERENCE_CONFIG, else that)' },
  plot: { value: true, description: 'forecasters: a directory for one SVG per series (history, median, 80% band, dates)' },
  stats: statsOption,
  ...dataOptions,
};

/** The outputs of one batch's predictions as the native line encoder takes them, in the object's own key order. */
function predictionOutputs(predictions: Record<string, ArrayLike<number | bigint>>, rows: number, vectors: readonly string[] = []): NativePredictionOutput[] {
  return Object.entries(predictions).map(([name, values]) => {
    const width = values.length / rows;
    if (!Number.isInteger(width)) throw new Error(`predict: output ${JSON.stringify(name)} has ${values.length} values for ${rows} rows`);
    // Other array kinds (a plain array, BigInt64Array from an --algorithm-module) as the numbers JSON would write.
    const typed = values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array || values instanceof Uint32Array
      ? values : Float64Array.from(Array.from(values as ArrayLike<number | bigint>, Number));
    return { key: JSON.stringify(name), values: typed, width, ...(vectors.includes(name) ? { vector: true } : {}) };
  });
}

/**
 * Writes one JSON line per row — each prediction output a number or, for several values per
 * row, an array — encoded natively into reused buffers, waiting for the stream to drain.
 */
async function writePredictionLines(out: Writable, buffers: OutputBuffers, predictions: Record<string, ArrayLike<number | bigint>>, rows: number,
  vectors?: readonly string[]): Promise<void> {
  if (rows === 0) return;
  const addon = loadCoreAddon();
  const outputs = predictionOutputs(predictions, rows, vectors);
  const { slot, buffer } = await buffers.take(addon.predictionLinesBound(outputs, rows));
  const length = await addon.encodePredictionLines(outputs, rows, buffer);
  buffers.write(out, slot, length);
}

/** Predictions for every record, as JSON Lines to stdout or a file (atomically, when it is a regular file). */
/**
 * A kernel's error about "row r" of a batch, as the record of the input it is (1-based, counting
 * the records read before the batch, `before`): a batch's row number alone named no line.
 */
function atRecord(error: Error, input: string, before: number): Error {
  const match = /^(.*?)\brow (\d+): ([^]*)$/.exec(error.message);
  if (!match) return error;
  const record = before + Number(match[2]) + 1;
  error.message = `${match[1]}${input === '-' ? 'stdin' : input}, record ${record.toLocaleString('en-US')}: ${match[3]}`;
  return error;
}

/** A model of rows given --format series: the kernels said "batch.values is missing". */
function refuseSeriesFormat(command: string, algorithm: Algorithm, format: unknown): void {
  if (format !== 'series') return;
  throw new UsageError(`${command}: --format series is time series, which forecasters (deepar) read; ${withArticle(algorithm.name)} model reads rows ` +
    `(csv, libsvm, recordio, jsonl${algorithm.zeroRowsSayNothing ? ', text' : ''}, vw)`);
}

/** A forecaster reads series: another --format was ignored, and its rows failed as "not valid JSON". */
function refuseRowFormat(command: string, algorithm: string, format: unknown): void {
  if (format === undefined || format === 'series') return;
  throw new UsageError(`${command}: ${withArticle(algorithm)} model reads time series (--format series: DeepAR's JSON Lines), not --format ${String(format)}`);
}

export async function predictCommand(argv: string[]): Promise<{ summary: Record<string, unknown>; toStdout: boolean }> {
  const { options } = parseArguments('predict', argv, predictOptions);
  refuseRedisInput('predict', 'input', options.input);
  const { path: modelPath, model, algorithm, featureDim, backend } = await openModel('predict', options);
  if (algorithm.checkSeries) {
    refuseRowFormat('predict', algorithm.name, options.format);
    refuseRowOptions('predict', algorithm.name, options, true);
    const forecast = await predictForecasts(modelPath, model as DeeparModel, options);
    warnDeclined('predict', backend);
    return { ...forecast, summary: { ...forecast.summary, ...statsOf(options, backend) } };
  }
  for (const name of ['seed', 'configuration', 'plot']) {
    if (options[name] !== undefined) throw new UsageError(`predict: --${name} is for forecasters (deepar); ${withArticle(algorithm.name)} model takes none`);
  }
  refuseSeriesFormat('predict', algorithm, options.format);
  const data = { ...readOptionsFrom('predict', options, { labelSize: 0, featureDim, labelColumn: labelColumnOf(model), ignoreColumns: ignoreColumnsOf(model) }), featureRange: algorithm.featureRange };
  const outputPath = (options.output as string | undefined) ?? '-';
  let requestOptions: { threshold: number } | undefined;
  if (options.threshold !== undefined) {
    // A decimal number: Number() reads blanks as 0 and '0x1' as 1.
    const text = String(options.threshold);
    const threshold = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(threshold)) throw new UsageError(`predict: --threshold expects a number, got ${JSON.stringify(options.threshold)}`);
    requestOptions = { threshold };
    // Refused before any data is read: a model that takes no threshold, or one out of range.
    try {
      model.checkPredictOptions?.(requestOptions);
    } catch (error) {
      throw new UsageError(`predict: --threshold: ${(error as Error).message}`);
    }
  }
  // /dev/stdout, or the very file the shell redirected stdout to: the predictions are stdout's.
  const toStdout = outputPath === '-' || await isStdout(outputPath);
  // Ctrl-C and SIGTERM stop the reading at the next batch; the output is aborted below. Listened
  // for before the output is opened: a signal between the two killed the process with its
  // temporary file left behind.
  const interruption = listenForInterrupt();
  let file: Awaited<ReturnType<typeof openOutput>> | undefined;
  try {
    file = toStdout ? undefined : await openOutput(outputPath);
  } catch (error) {
    interruption.dispose();
    throw error;
  }
  const out: Writable = file?.stream ?? process.stdout;
  let records = 0;
  // Predictions are row by row, so unless a size is asked for, narrow dense rows come in batches
  // of 2^18 values (4,096 rows of 64): each batch costs thread hand-offs, not only its rows.
  const rows = data.miniBatchSize === undefined ? { miniBatchSize: 1000, batchValues: 2 ** 18 } : {};
  const stream = readBatches(options.input as string, { ...data, ...modelFeatureNames(model, data), miniBatchSize: data.miniBatchSize ?? 1000, ...rows,
    signal: interruption.signal });
  try {
    const buffers = new OutputBuffers();
    for await (const batch of stream) {
      const predictions = await model.predict(batch, requestOptions).catch((error: Error) => { throw atRecord(error, options.input as string, records); });
      await writePredictionLines(out, buffers, predictions, batch.rows, model.vectorOutputs);
      records += batch.rows;
    }
    await buffers.settle();
    // An empty input predicts nothing, as it should; an input whose every record was bad is an error.
    if (records === 0 && Object.values(stream.stats.badRecords).some((n) => n > 0)) {
      throw new DataError(noRecordsMessage('predict', options.input as string, stream.stats.badRecords) + widthHint(stream.stats.badRecords, model));
    }
    await file?.commit();
  } catch (error) {
    const failure = file ? await file.abort(error) : error;
    if (interruption.signal.aborted) {
      throw new InterruptedError(`predict: interrupted; ${toStdout ? 'the lines written so far went to stdout' : `nothing was written to ${outputPath}`}`);
    }
    throw withLayoutHint(failure, options, model);
  } finally {
    interruption.dispose();
  }
  const skipped = reportSkipped('predict', stream.stats.badRecords, 'the output has one line per record read, not per input line');
  const blank = reportBlankLines(stream.stats.blankLines, data.format);
  warnDeclined('predict', backend);
  return { summary: { model: modelPath, records, output: outputPath, ...skipped, ...blank, ...statsOf(options, backend) }, toStdout };
}

/** predict for a forecaster: JSON Lines of series or requests in, forecasts out (lib/cli/forecast.ts). */
async function predictForecasts(modelPath: string, model: DeeparModel, options: Record<string, unknown>): Promise<{ summary: Record<string, unknown>; toStdout: boolean }> {
  const outputPath = (options.output as string | undefined) ?? '-';
  if (options.threshold !== undefined) throw new UsageError('predict: --threshold is for binary classifiers; a deepar model forecasts');
  const toStdout = outputPath === '-' || await isStdout(outputPath);
  const file = toStdout ? undefined : await openOutput(outputPath);
  // A --plot directory made here is not left behind empty by a run that forecast nothing.
  const plotMade = typeof options.plot === 'string' && !existsSync(options.plot);
  let result: { lines: number; skipped: number };
  try {
    result = await forecastPredict(model, options.input as string, file?.stream ?? process.stdout, {
      configuration: options.configuration, seed: integerOption('predict', options as never, 'seed', 0), plot: options.plot as string | undefined,
      maxRecordBytes: integerOption('predict', options as never, 'max-record-bytes'),
      onBadRecord: choiceOption('predict', options as never, 'on-bad-record', ['error', 'skip'] as const),
    });
    // As for other models: an input whose every series was bad is an error, and writes nothing.
    if (result.lines === 0 && result.skipped > 0) {
      throw new DataError(noRecordsMessage('predict', options.input as string, { bad_series: result.skipped }, ['series', 'series']));
    }
    await file?.commit();
  } catch (error) {
    const failure = file ? await file.abort(error) : error;
    if (plotMade) await rmdir(options.plot as string).catch(() => {});
    throw failure;
  }
  const skipped = result.skipped > 0 ? reportSkipped('predict', { bad_series: result.skipped }, 'the output has one line per line forecast', ['series', 'series']) : {};
  return { summary: { model: modelPath, records: result.lines, output: outputPath, ...skipped, ...(options.plot ? { plots: options.plot } : {}) }, toStdout };
}

export const evaluateOptions: Record<string, OptionSpec> = {
  model: { value: true, required: true, description: "a model.safetensors, or the directory train's --model-dir wrote" },
  test: { value: true, required: true, description: 'labelled data' },
  backend: { value: true, description: 'auto|cpu|cuda|webgpu' },
  seed: { value: true, description: "forecasters: the sample paths' seed (default the model's)" },
  'sagemaker-metrics': { description: "also print SageMaker's #test_score and #quality_metric lines on stderr" },
  stats: statsOption,
  ...dataOptions,
};

/** The metrics as SageMaker's test lines on stderr, when asked. */
function reportSageMakerTest(options: Record<string, unknown>, metrics: Record<string, number>): void {
  if (options['sagemaker-metrics'] !== true) return;
  for (const line of sageMakerFinalLines({ test: metrics })) process.stderr.write(line + '\n');
}

export async function evaluateCommand(argv: string[]): Promise<Record<string, unknown>> {
  const { options } = parseArguments('evaluate', argv, evaluateOptions);
  refuseRedisInput('evaluate', 'test', options.test);
  const { path: modelPath, model, algorithm, featureDim, backend } = await openModel('evaluate', options);
  if (!algorithm.createEvaluator) throw new Error(`evaluate: ${algorithm.name} has no evaluation metrics`);
  if (algorithm.checkSeries) {
    refuseRowFormat('evaluate', algorithm.name, options.format);
    refuseRowOptions('evaluate', algorithm.name, options, true);
    const { records, badRecords, metrics } = await forecastEvaluate(algorithm, model as DeeparModel, options.test as string, {
      seed: integerOption('evaluate', options, 'seed', 0), maxRecordBytes: integerOption('evaluate', options, 'max-record-bytes'),
      onBadRecord: choiceOption('evaluate', options, 'on-bad-record', ['error', 'skip'] as const),
    });
    reportSageMakerTest(options, metrics);
    warnDeclined('evaluate', backend);
    return { model: modelPath, records, ...reportSkipped('evaluate', badRecords, 'the metrics are over the series read', ['series', 'series']), ...metrics, ...statsOf(options, backend) };
  }
  if (options.seed !== undefined) throw new UsageError(`evaluate: --seed is for forecasters (deepar); ${withArticle(algorithm.name)} model's metrics draw nothing`);
  refuseSeriesFormat('evaluate', algorithm, options.format);
  const data = {
    ...readOptionsFrom('evaluate', options, { labelSize: algorithm.labelSize > 0 || labelColumnOf(model) !== undefined ? 1 : 0, featureDim, labelColumn: labelColumnOf(model), ignoreColumns: ignoreColumnsOf(model) }),
    // Labels the model cannot score are bad records with their file and line.
    labelClasses: algorithm.labelClasses?.(model.data().hyperparameters as never),
    featureRange: algorithm.featureRange,
  };
  const evaluator = algorithm.createEvaluator(model);
  let records = 0;
  const stream = readBatches(options.test as string, { ...data, ...modelFeatureNames(model, data), miniBatchSize: data.miniBatchSize ?? 1000 });
  try {
    for await (const batch of stream) {
      await evaluator.add(batch);
      records += batch.rows;
    }
  } catch (error) {
    throw withLayoutHint(error, options, model);
  }
  // Metrics of nothing are not 0 (nor a silent null): say so.
  if (records === 0) throw new DataError(noRecordsMessage('evaluate', options.test as string, stream.stats.badRecords));
  const skipped = reportSkipped('evaluate', stream.stats.badRecords, 'the metrics are over the records read');
  await evaluator.settle?.();
  const metrics = evaluator.result();
  warnUndefinedMetrics(metrics);
  reportSageMakerTest(options, metrics);
  warnDeclined('evaluate', backend);
  return { model: modelPath, records, ...skipped, ...metrics, ...statsOf(options, backend) };
}

/** Why a metric can be undefined on test rows, by name (JSON writes it null). */
const undefinedMetricReasons: Record<string, string> = {
  roc_auc_score: 'the area under the ROC curve ranks positive rows against negative ones, and the test rows held only one class',
};

/**
 * A metric JSON prints as null said as such on stderr: `"roc_auc_score": null` with exit 0 had
 * explained nothing. `command`: evaluate, or train for its --test channel's metrics.
 */
export function warnUndefinedMetrics(metrics: Record<string, unknown>, command = 'evaluate'): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (!(typeof value === 'number' && Number.isNaN(value))) continue;
    const reason = undefinedMetricReasons[name] ?? 'it is undefined on these test rows';
    process.stderr.write(`boundless: ${command}: warning: ${command === 'train' ? 'test ' : ''}${name} is null: ${reason}\n`);
  }
}

export const recommendOptions: Record<string, OptionSpec> = {
  model: { value: true, required: true, description: 'a model.safetensors that recommends (factorization machines)' },
  user: { value: true, required: true, description: "the user's (context's) features as 'index:value …' (1-based unless --zero-based)" },
  items: { value: true, required: true, description: "the candidate items, one row each: a file, directory, glob, or '-'" },
  top: { value: true, description: 'how many items (default 10)' },
  backend: { value: true, description: 'auto|cpu|cuda|webgpu' },
  ...dataOptions,
};

/** The user's row from 'index:value …' tokens, dense, checked token by token. */
function userRow(text: string, featureDim: number, zeroBased: boolean): Float32Array {
  const row = new Float32Array(featureDim);
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    // A decimal value, as the libsvm parser reads them (Number() also took 0x10 as 16 and 0b11 as 3).
    const match = /^(\d+):([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/.exec(token);
    const value = match ? Math.fround(Number(match[2])) : NaN;
    const index = match ? Number(match[1]) - (zeroBased ? 0 : 1) : -1;
    if (!match || index < 0 || index >= featureDim) {
      throw new UsageError(`recommend: --user token ${JSON.stringify(token)} is not index:value with index in ${zeroBased ? 0 : 1}..${featureDim - (zeroBased ? 1 : 0)} and a decimal value`);
    }
    if (!Number.isFinite(value) || !Number.isFinite(Math.fround(row[index] + value))) {
      throw new UsageError(`recommend: --user token ${JSON.stringify(token)}: the value overflows float32 (at most about 3.4e38 in magnitude)`);
    }
    row[index] += value;
  }
  return row;
}

/**
 * The top items for one user, best first, as JSON lines {"item": row number among the
 * candidates, "score"}. Candidates stream in batches; only the best `top` are kept.
 */
export async function recommendCommand(argv: string[]): Promise<void> {
  const { options } = parseArguments('recommend', argv, recommendOptions);
  refuseRedisInput('recommend', 'items', options.items);
  const { model, algorithm, featureDim, backend } = await openModel('recommend', options);
  const recommender = model as unknown as { recommend?: (user: Float32Array, items: Batch, n: number) => Promise<{ indices: Int32Array; scores: Float32Array }> };
  if (typeof recommender.recommend !== 'function') throw new UsageError(`recommend: ${withArticle(algorithm.name)} model does not recommend; train factorization-machines`);
  const top = integerOption('recommend', options, 'top') ?? 10;
  const data = readOptionsFrom('recommend', options, { labelSize: 0, featureDim });
  // Items are named by their place among the records read: a skipped line would renumber every item after it.
  if (data.onBadRecord === 'skip') {
    throw new UsageError('recommend: --on-bad-record skip would renumber the items after a skipped line (an item is its record\'s ' +
      'number in --items, from 0): fix or remove the bad records first');
  }
  const user = userRow(options.user as string, featureDim, data.zeroBased === true);
  let best: { item: number; score: number }[] = [];
  let seen = 0;
  for await (const batch of readBatches(options.items as string, { ...data, miniBatchSize: data.miniBatchSize ?? 10_000 })) {
    const { indices, scores } = await recommender.recommend(user, batch, Math.min(top, batch.rows));
    for (let n = 0; n < indices.length; n++) best.push({ item: seen + indices[n], score: scores[n] });
    // Ties keep the earlier item, as within a batch.
    best = best.sort((a, b) => b.score - a.score || a.item - b.item).slice(0, top);
    seen += batch.rows;
  }
  // As evaluate says a test file without records: an empty answer would read as "nothing to recommend".
  if (seen === 0) throw new DataError(`recommend: no candidates in --items ${options.items === '-' ? 'stdin' : String(options.items)}`);
  process.stdout.write(best.map((b) => JSON.stringify(b)).join('\n') + (best.length ? '\n' : ''));
  warnDeclined('recommend', backend);
}

export const selectOptions: Record<string, OptionSpec> = {
  state: { value: true, required: true, description: 'a state.safetensors or checkpoint' },
  'model-dir': { value: true, required: true, description: 'where the selected model.safetensors goes' },
  k: { value: true, description: 'k-means: clusters' },
  'num-components': { value: true, description: 'PCA: components' },
  criterion: { value: true, description: 'linear learner: model selection criterion' },
  select: { value: true, repeat: true, description: "another selection, name=value (the algorithm's own)" },
  'algorithm-module': dataOptions['algorithm-module'],
};

export async function selectCommand(argv: string[]): Promise<Record<string, unknown>> {
  const { options } = parseArguments('select', argv, selectOptions);
  const statePath = options.state as string;
  const { algorithm } = await algorithmOf(statePath, options);
  const backend = await resolveBackend('cpu');
  const state = await loadState(statePath, algorithm, backend);
  const selection = selectionOf(options);
  let model;
  try {
    model = await algorithm.finalize(state, backend, selection);
  } catch (error) {
    // A selection the state cannot give (an unknown key, a value out of range) is a usage error; degenerate data is not.
    // The algorithm's message names the command already ("linear-learner select: …").
    if (error instanceof RangeError) throw new UsageError(/^[\w-]+ select: /.test(error.message) ? error.message : `select: ${error.message}`);
    throw error;
  }
  for (const warning of algorithm.dataWarnings?.(state, selection) ?? []) process.stderr.write(`boundless: select: warning: ${warning}\n`);
  await makeDirectory(options['model-dir'] as string);
  const modelPath = join(options['model-dir'] as string, 'model.safetensors');
  await saveModel(modelPath, model);
  return { state: statePath, model: modelPath, selection };
}

/**
 * The selection the flags ask for: --k, --num-components, --criterion and each --select name=value
 * (numbers and true/false as such). A name given twice is a usage error, not the last one taken.
 */
function selectionOf(options: ParsedArguments['options']): Selection {
  const selection: Selection = {};
  const given = new Map<string, string>();
  const set = (name: string, value: Selection[string], flag: string) => {
    if (given.has(name)) throw new UsageError(`select: ${name} given twice (${given.get(name)} and ${flag}): give it once`);
    given.set(name, flag);
    selection[name] = value;
  };
  const k = integerOption('select', options, 'k');
  if (k !== undefined) set('k', k, `--k ${k}`);
  const components = integerOption('select', options, 'num-components');
  if (components !== undefined) set('num_components', components, `--num-components ${components}`);
  if (options.criterion !== undefined) set('criterion', options.criterion as string, `--criterion ${String(options.criterion)}`);
  for (const pair of (options.select as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`select: --select expects name=value, got ${JSON.stringify(pair)}`);
    const raw = pair.slice(eq + 1);
    const value = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : /^(true|True)$/.test(raw) ? true : /^(false|False)$/.test(raw) ? false : raw;
    set(pair.slice(0, eq), value, `--select ${pair}`);
  }
  return selection;
}
