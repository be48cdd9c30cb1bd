// `boundless predict` and `boundless evaluate` for forecasters (DeepAR): the input is JSON Lines
// of series — SageMaker's batch-transform lines (one series each) or endpoint requests
// ({"instances": [...], "configuration": {...}}) — and the output one JSON line per input line:
// a series' forecast, or a request's {"predictions": [...]}, each with the horizon's timestamps.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Algorithm } from '../algorithms/types.js';
import { forecastSvg } from '../algorithms/deepar/forecast-plot.js';
import { timestamps } from '../algorithms/deepar/frequency.js';
import { resolveConfiguration, type DeeparModel, type Forecast, type ForecastConfiguration } from '../algorithms/deepar/model.js';
import { readJsonLines, toSeriesRecord, type SeriesRecord } from '../io/formats/deepar-series.js';
import { DataError } from '../io/read-options.js';
import { readBatches } from '../io/read-batches.js';
import { UsageError } from './arguments.js';

/** History points a plot shows before the horizon: enough to see the seasons the forecast continues. */
const plotHistory = (model: DeeparModel) => Math.max(4 * model.predictionLength, model.hyperparameters.context_length * 2);

/** --configuration, else SageMaker's batch-transform variable DEEPAR_INFERENCE_CONFIG, else the defaults. */
export function baseConfiguration(given: unknown): ForecastConfiguration {
  const text = typeof given === 'string' ? given : process.env.DEEPAR_INFERENCE_CONFIG;
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`predict: ${typeof given === 'string' ? '--configuration' : 'DEEPAR_INFERENCE_CONFIG'} is not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('predict: the configuration must be a JSON object like {"num_samples": 100, "output_types": ["mean", "quantiles"]}');
  try {
    resolveConfiguration(parsed as ForecastConfiguration);
  } catch (error) {
    throw new UsageError(`predict: ${(error as Error).message}`);
  }
  return parsed as ForecastConfiguration;
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
  if (!out.write(JSON.stringify(value) + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

/** An SVG per series: the history's last points, the median and the 10–90% band. */
async function writePlots(context: PredictContext, records: readonly SeriesRecord[], bands: Float32Array[], first: number): Promise<void> {
  const { model } = context;
  const P = model.predictionLength;
  await mkdir(context.plot!, { recursive: true });
  await Promise.all(records.map(async (record, i) => {
    const shown = Math.min(record.target.length, plotHistory(model));
    const from = record.target.length - shown;
    const band = bands[i];
    const svg = forecastSvg({
      title: `${record.source}, line ${record.line} (start ${record.start})`,
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

function instancesOf(value: Record<string, unknown>, where: string): SeriesRecord[] {
  if (!Array.isArray(value.instances) || value.instances.length === 0) throw new DataError(`${where}: "instances" must be a non-empty array of series`);
  return value.instances.map((instance, i) => {
    const record = toSeriesRecord(instance, {}, `${where}, instance ${i}`, 0);
    if (typeof record === 'string') throw new DataError(`${where}: instance ${i}: ${record}`);
    return { ...record, source: `${where}, instance`, line: i };
  });
}

/** Forecasts every line of the input; one output line per input line. */
export async function forecastPredict(model: DeeparModel, input: string, out: Writable, options: {
  configuration?: unknown; seed?: number; plot?: string; maxRecordBytes?: number;
}): Promise<number> {
  const context: PredictContext = { model, out, configuration: baseConfiguration(options.configuration), seed: options.seed ?? model.hyperparameters.seed, plot: options.plot, series: 0 };
  let lines = 0;
  for await (const line of readJsonLines(input, { maxRecordBytes: options.maxRecordBytes })) {
    if (line.text === '') continue;
    const where = `${line.name}, line ${line.line}`;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (error) {
      throw new DataError(`${where}: not valid JSON (${(error as Error).message})`);
    }
    const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
    if (object && 'instances' in object) {
      const configuration = { ...context.configuration, ...(object.configuration as ForecastConfiguration | undefined) };
      resolveOrFail(configuration, where);
      await writeLine(out, { predictions: await forecastRequest(context, instancesOf(object, where), configuration) });
    } else {
      const record = toSeriesRecord(value, {}, line.name, line.line);
      if (typeof record === 'string') throw new DataError(`${where}: ${record}`);
      const [forecast] = await forecastRequest(context, [record], context.configuration);
      await writeLine(out, forecast);
    }
    lines++;
  }
  return lines;
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
  if (records === 0) throw new DataError(`evaluate: no series in ${test}`);
  return { records, badRecords: stream.stats.badRecords, metrics: evaluator.result() };
}

