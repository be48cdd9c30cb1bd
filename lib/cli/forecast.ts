// `boundless predict` and `boundless evaluate` for forecasters (DeepAR): the input is JSON Lines
// of series — SageMaker's batch-transform lines (one series each) or endpoint requests
// ({"instances": [...], "configuration": {...}}) — and the output one JSON line per input line:
// a series' forecast, or a request's {"predictions": [...]}, each with the horizon's timestamps.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Algorithm } from '../algorithms/types.js';
import { forecastSvg } from '../algorithms/deepar/forecast-plot.js';
import { timestamps } from '../algorithms/deepar/frequency.js';
import { resolveConfiguration, type DeeparModel, type Forecast, type ForecastConfiguration } from '../algorithms/deepar/model.js';
import { whereOf } from '../algorithms/deepar/series-pack.js';
import { jsonError, readJsonLines, toSeriesRecord, type SeriesRecord } from '../io/formats/deepar-series.js';
import { DataError } from '../io/read-options.js';
import { noRecordsMessage } from '../io/no-records.js';
import { readBatches } from '../io/read-batches.js';
import { UsageError } from './arguments.js';

/** History points a plot shows before the horizon: enough to see the seasons the forecast continues. */
const plotHistory = (model: DeeparModel) => Math.max(4 * model.predictionLength, model.hyperparameters.context_length * 2);

/** --configuration, else SageMaker's batch-transform variable DEEPAR_INFERENCE_CONFIG, else the defaults. */
export function baseConfiguration(given: unknown): ForecastConfiguration {
  const fromEnvironment = typeof given !== 'string';
  const text = fromEnvironment ? process.env.DEEPAR_INFERENCE_CONFIG : given;
  if (text === undefined || (fromEnvironment && text.trim() === '')) return {};
  const source = fromEnvironment ? 'DEEPAR_INFERENCE_CONFIG' : '--configuration';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`predict: ${source} is not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`predict: ${source} must be a JSON object like {"num_samples": 100, "output_types": ["mean", "quantiles"]}`);
  }
  try {
    resolveConfiguration(parsed as ForecastConfiguration);
  } catch (error) {
    throw new UsageError(`predict: ${source}: ${(error as Error).message}`);
  }
  return parsed as ForecastConfiguration;
}

/**
 * The --plot directory: made when its parent exists (not recursively: Node's recursive mkdir
 * spins forever under /proc), refused when it is a file.
 */
export async function plotDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    const why = code === 'EEXIST' ? 'is a file, not a directory' : code === 'ENOENT' ? 'is in a directory that does not exist' : (error as Error).message;
    throw new UsageError(`predict: --plot ${dir} ${why}`);
  }
}

interface PredictContext {
  model: DeeparModel;
  out: Writable;
  configuration: ForecastConfiguration;
  seed: number;
  plot?: string;
  /** Series forecast so far: series n draws from stream n, and names plot n. */
  series: number;
}

async function writeLine(out: Writable, value: unknown): Promise<void> {
  if (out.errored) throw out.errored;
  if (out.write(JSON.stringify(value) + '\n')) return;
  // A failed write (ENOSPC, a reader gone) destroys the stream, and 'drain' never comes: waiting
  // for it alone left nothing for the event loop, and the process ended with status 0 mid-output.
  await new Promise<void>((resolve, reject) => {
    const settle = () => {
      out.off('drain', settle);
      out.off('close', settle);
      if (out.errored) reject(out.errored);
      else if (out.destroyed) reject(new Error('the output was closed before the forecasts were written'));
      else resolve();
    };
    out.on('drain', settle);
    out.on('close', settle);
  });
}

/** An SVG per series: the history's last points, the median and the 10–90% band. */
async function writePlots(context: PredictContext, records: readonly SeriesRecord[], bands: Float32Array[], first: number): Promise<void> {
  const { model } = context;
  const P = model.predictionLength;
  await Promise.all(records.map(async (record, i) => {
    const shown = Math.min(record.target.length, plotHistory(model));
    const from = record.target.length - shown;
    const band = bands[i];
    const svg = forecastSvg({
      title: `${whereOf(record)} (start ${record.start})`,
      historyTimes: timestamps(model.settings.frequency, record.startTime, from, shown), history: record.target.subarray(from),
      forecastTimes: timestamps(model.settings.frequency, record.startTime, record.target.length, P),
      lower: band.subarray(0, P), median: band.subarray(P, 2 * P), upper: band.subarray(2 * P, 3 * P),
    });
    await writeFile(join(context.plot!, `series-${first + i + 1}.svg`), svg);
  }));
}

/** Forecasts records as one request: the response objects, and plots when asked. */
async function forecastRequest(context: PredictContext, records: SeriesRecord[], configuration: ForecastConfiguration): Promise<Forecast[]> {
  const first = context.series;
  context.series += records.length;
  const forecasts = await context.model.forecast(records, configuration, { seed: context.seed, first, band: context.plot !== undefined });
  if (context.plot) await writePlots(context, records, forecasts.map((f) => f.band!), first);
  return forecasts.map(({ band: _, ...rest }) => rest);
}

function instancesOf(value: Record<string, unknown>, name: string, line: number): SeriesRecord[] {
  const where = `${name}, line ${line}`;
  if (!Array.isArray(value.instances) || value.instances.length === 0) throw new DataError(`${where}: "instances" must be a non-empty array of series`);
  return value.instances.map((instance, i) => {
    const record = toSeriesRecord(instance, {}, name, line);
    if (typeof record === 'string') throw new DataError(`${where}, instance ${i + 1}: ${record}`);  // counted from 1, as lines are
    return { ...record, instance: i };
  });
}

/** Forecasts every line of the input; one output line per input line. */
export async function forecastPredict(model: DeeparModel, input: string, out: Writable, options: {
  configuration?: unknown; seed?: number; plot?: string; maxRecordBytes?: number; onBadRecord?: 'error' | 'skip';
}): Promise<{ lines: number; skipped: number }> {
  const context: PredictContext = { model, out, configuration: baseConfiguration(options.configuration), seed: options.seed ?? model.hyperparameters.seed, plot: options.plot, series: 0 };
  if (options.plot !== undefined) await plotDirectory(options.plot);
  let lines = 0, skipped = 0;
  for await (const line of readJsonLines(input, { maxRecordBytes: options.maxRecordBytes })) {
    if (line.text === '') continue;
    try {
      if (line.invalidUtf8) throw new DataError(`${line.name}, line ${line.line}: invalid UTF-8 (JSON Lines are UTF-8 text)`);
      await writeLine(out, await forecastLine(context, line.text, line.name, line.line));
      lines++;
    } catch (error) {
      // A bad line (or a series the model cannot forecast) is skipped on request, as train and evaluate do.
      if (options.onBadRecord !== 'skip' || !(error instanceof DataError || error instanceof RangeError)) throw error;
      skipped++;
    }
  }
  return { lines, skipped };
}

/** One input line's output: a series' forecast, or a request's {"predictions"}. */
async function forecastLine(context: PredictContext, text: string, name: string, line: number): Promise<unknown> {
  const where = `${name}, line ${line}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(`${where}: ${jsonError(text, error)}`);
  }
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  if (object && 'instances' in object) {
    const configuration = { ...context.configuration, ...(object.configuration as ForecastConfiguration | undefined) };
    resolveOrFail(configuration, where);
    return { predictions: await forecastRequest(context, instancesOf(object, name, line), configuration) };
  }
  const record = toSeriesRecord(value, {}, name, line);
  if (typeof record === 'string') throw new DataError(`${where}: ${record}`);
  const [forecast] = await forecastRequest(context, [record], context.configuration);
  return forecast;
}

function resolveOrFail(configuration: ForecastConfiguration, where: string): void {
  try {
    resolveConfiguration(configuration);
  } catch (error) {
    throw new DataError(`${where}: ${(error as Error).message}`);
  }
}

/** SageMaker's test protocol on a file of full series (the model's createEvaluator), deterministic for a seed. */
export async function forecastEvaluate(algorithm: Algorithm, model: DeeparModel, test: string, options: { seed?: number; maxRecordBytes?: number; onBadRecord?: 'error' | 'skip' }) {
  const evaluator = (algorithm as unknown as { createEvaluator(model: DeeparModel, seed?: number): { add(b: unknown): Promise<void>; result(): Record<string, number> } })
    .createEvaluator(model, options.seed);
  const hp = model.hyperparameters as never;
  const stream = readBatches(test, {
    format: 'series', miniBatchSize: 256, maxRecordBytes: options.maxRecordBytes, onBadRecord: options.onBadRecord,
    series: { check: (record) => algorithm.checkSeries!(hp, record) },
  });
  let records = 0;
  for await (const batch of stream) {
    await evaluator.add(batch);
    records += batch.rows;
  }
  if (records === 0) throw new DataError(noRecordsMessage('evaluate', test, stream.stats.badRecords, ['series', 'series']));
  try {
    return { records, badRecords: stream.stats.badRecords, metrics: evaluator.result() };
  } catch (error) {
    // Metrics that cannot be computed are the test file's doing: name it.
    throw new DataError(`evaluate: ${test}: ${(error as Error).message}`);
  }
}

