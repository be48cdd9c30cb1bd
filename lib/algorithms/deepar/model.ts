// A finalized DeepAR model: the network's parameters and embedding tables, and forecasts as
// Monte-Carlo sample paths (ancestral sampling, Salinas et al. 2020 §3) summarised the way
// SageMaker's endpoint answers: mean, quantiles, samples, with the forecast's timestamps.
import type { Backend } from '../../backends/registry.js';
import { runKernel } from '../../backends/run-kernel.js';
import type { Batch } from '../../data/batch.js';
import type { SeriesRecord } from '../../data/series.js';
import { tensor } from '../../state/tensor.js';
import { saveModel } from '../persistence.js';
import type { Evaluator, Model, ModelData, Predictions } from '../types.js';
import { ForecastMetrics, pythonFloatName, sampleMean, sampleQuantiles } from './forecast-metrics.js';
import { timestamps } from './frequency.js';
import { parseList, type DeeparHyperparameters as Hp } from './hyperparameters.js';
import { valueOutsideLikelihood } from './likelihood-domain.js';
import { packSeries, whereOf } from './series-pack.js';
import { settingsOf, type DeeparSettings } from './settings.js';

/** SageMaker's inference configuration (reference/sagemaker-algorithms.md §7.4). */
export interface ForecastConfiguration {
  num_samples?: number;
  output_types?: ('mean' | 'quantiles' | 'samples')[];
  quantiles?: (string | number)[];
}

/** One series' forecast, as SageMaker's response holds it, plus the timestamps of the horizon. */
export interface Forecast {
  mean?: number[];
  quantiles?: Record<string, number[]>;
  samples?: number[][];
  timestamps: string[];
  /** When asked for (plots): the 0.1, 0.5 and 0.9 quantiles, [3 × P]; not part of SageMaker's response. */
  band?: Float32Array;
}

export const defaultConfiguration = { num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'] };

/** Checks a request's configuration; a RangeError naming the field. */
export function resolveConfiguration(configuration: ForecastConfiguration = {}): { paths: number; outputs: Set<string>; quantiles: string[] } {
  if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) {
    throw new RangeError(`deepar: the configuration must be an object like {"num_samples": 100}, got ${JSON.stringify(configuration)}`);
  }
  // A misspelt key (num_sample, numSamples) took the default without a word.
  const unknown = Object.keys(configuration).find((key) => !(key in defaultConfiguration));
  if (unknown !== undefined) {
    throw new RangeError(`deepar: the configuration has no field ${JSON.stringify(unknown)}; its fields are ${Object.keys(defaultConfiguration).join(', ')}`);
  }
  const paths = configuration.num_samples ?? defaultConfiguration.num_samples;
  if (!Number.isSafeInteger(paths) || paths < 1 || paths > 100_000) throw new RangeError(`deepar: configuration.num_samples must be an integer in [1, 100000], got ${JSON.stringify(paths)}`);
  const outputs = configuration.output_types ?? defaultConfiguration.output_types;
  if (!Array.isArray(outputs) || outputs.length === 0) throw new RangeError('deepar: configuration.output_types must be a non-empty list of mean, quantiles, samples');
  for (const o of outputs) if (!['mean', 'quantiles', 'samples'].includes(o)) throw new RangeError(`deepar: configuration.output_types holds ${JSON.stringify(o)}; expected mean, quantiles or samples`);
  const quantiles = (configuration.quantiles ?? defaultConfiguration.quantiles).map(String);
  for (const q of quantiles) {
    const v = Number(q);
    if (!(v > 0 && v < 1)) throw new RangeError(`deepar: configuration.quantiles holds ${JSON.stringify(q)}; expected numbers in (0, 1) such as "0.5"`);
  }
  return { paths, outputs: new Set(outputs), quantiles };
}

/** A record built by hand (the API) whose parts are not the arrays a SeriesRecord holds; why, or undefined. */
function shapeProblem(record: SeriesRecord): string | undefined {
  if (record === null || typeof record !== 'object') return 'is not a series record (toSeriesRecord makes one from a parsed line)';
  if (!(record.target instanceof Float32Array)) return '"target" must be a Float32Array (missing values NaN)';
  if (!(record.cat instanceof Int32Array)) return '"cat" must be an Int32Array (empty when there are none)';
  if (!Array.isArray(record.dynamicFeat) || !record.dynamicFeat.every((d) => d instanceof Float32Array)) {
    return '"dynamicFeat" must be an array of Float32Arrays (empty when there are none)';
  }
  return undefined;
}

export class DeeparModel implements Model {
  readonly algorithm = 'deepar';
  readonly hyperparameters: Hp;
  readonly settings: DeeparSettings;
  readonly parameters: Float32Array;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    this.hyperparameters = modelData.hyperparameters as unknown as Hp;
    this.settings = settingsOf(this.hyperparameters, modelData.schema);
    this.parameters = modelData.tensors.parameters.data as Float32Array;
    if (this.parameters.length !== this.settings.layout.parameters) {
      throw new RangeError(`deepar: the model has ${this.parameters.length} parameters, its hyperparameters need ${this.settings.layout.parameters}`);
    }
  }

  get predictionLength(): number { return this.hyperparameters.prediction_length; }

  /** Checks that a series can be forecast (history, dynamic features over the horizon); why not, or undefined. */
  problemWith(record: SeriesRecord, history = record.target.length): string | undefined {
    const shape = shapeProblem(record);
    if (shape) return shape;
    if (history < 1) return 'has no history to forecast from';
    // ±∞ is no value a forecast can start from (a missing one is NaN): the mean came out NaN.
    const infinite = record.target.findIndex((v) => v === Infinity || v === -Infinity);
    if (infinite >= 0) return `"target"[${infinite}] is ${record.target[infinite]}; values must be finite (a missing one is NaN)`;
    const outside = valueOutsideLikelihood(this.hyperparameters.likelihood, record.target.subarray(0, history));
    if (outside) return outside;
    const badCat = record.cat.findIndex((c) => c < 0);
    if (badCat >= 0) return `"cat"[${badCat}] is ${record.cat[badCat]}; categories are integers ≥ 0`;
    if (!record.target.subarray(0, history).some((v) => !Number.isNaN(v))) return `has no observed value in its history (its first ${history} targets are all missing)`;
    const D = this.settings.native.dynamic;
    if (this.hyperparameters.num_dynamic_feat !== 'ignore' && this.hyperparameters.num_dynamic_feat.trim() !== '' && record.dynamicFeat.length !== D) {
      return `has ${record.dynamicFeat.length} "dynamic_feat" series, the model was trained with ${D}`;
    }
    for (let d = 0; d < D; d++) {
      const need = history + this.predictionLength;
      if (record.dynamicFeat[d].length < need) return `"dynamic_feat"[${d}] has ${record.dynamicFeat[d].length} values; forecasting needs ${need} (the target's ${history} and the ${this.predictionLength} of the horizon)`;
    }
    if (this.settings.categories.length > 0 && record.cat.length !== this.settings.categories.length) {
      return `has ${record.cat.length} "cat" values, the model was trained with ${this.settings.categories.length}`;
    }
    return undefined;
  }

  /**
   * Sample paths [series × paths × P] of the horizon after each series' first history(record)
   * values (all of them by default). Series i draws from stream first + i, so a forecast does
   * not depend on how series are batched. Categories the model never embedded use its unseen row.
   */
  async samplePaths(records: readonly SeriesRecord[], paths: number, seed: number, first: number,
    history?: (record: SeriesRecord) => number): Promise<Float32Array> {
    if (!Array.isArray(records)) throw new TypeError('deepar: records must be an array of series (toSeriesRecord makes one from a parsed line)');
    const whole = (name: string, value: number, least: number) => {
      if (!Number.isSafeInteger(value) || value < least) throw new RangeError(`deepar: ${name} must be an integer ≥ ${least}, got ${String(value)}`);
    };
    whole('paths', paths, 1);
    whole('seed', seed, 0);
    whole('first', first, 0);
    records.forEach((record, i) => {
      const shape = shapeProblem(record);
      // A record made by hand has no source or line: its place in the array names it.
      const where = record && typeof record === 'object' && record.source !== undefined ? whereOf(record) : `deepar: series ${i}`;
      if (shape) throw new TypeError(`${where}: ${shape}`);
      const why = this.problemWith(record, history ? history(record) : undefined);
      if (why) throw new RangeError(`${where}: ${why}`);
    });
    const pack = packSeries(records, this.settings, { history, unseen: 'map' });
    const out = new Float32Array(records.length * paths * this.predictionLength);
    await runKernel(this.backend, 'deeparForecast', { settings: this.settings.native, parameters: this.parameters, series: pack, draw: { paths, seed, stream: first }, out });
    requireFiniteSamples(records, out, paths * this.predictionLength);
    return out;
  }

  /** SageMaker's response objects for the series (the endpoint's `predictions`), with timestamps. */
  async forecast(records: readonly SeriesRecord[], configuration?: ForecastConfiguration,
    options: { seed?: number; first?: number; band?: boolean } = {}): Promise<Forecast[]> {
    const { paths, outputs, quantiles } = resolveConfiguration(configuration);
    const P = this.predictionLength;
    const samples = await this.samplePaths(records, paths, options.seed ?? this.hyperparameters.seed, options.first ?? 0);
    return records.map((record, i) => {
      const own = samples.subarray(i * paths * P, (i + 1) * paths * P);
      const result: Forecast = { timestamps: timestamps(this.settings.frequency, record.startTime, record.target.length, P) };
      if (outputs.has('mean')) result.mean = Array.from(sampleMean(own, paths, P));
      if (outputs.has('quantiles')) result.quantiles = Object.fromEntries(quantiles.map((q) => [q, Array.from(sampleQuantiles(own, paths, P, Number(q)))]));
      if (outputs.has('samples')) result.samples = Array.from({ length: paths }, (_, p) => Array.from(own.subarray(p * P, (p + 1) * P)));
      if (options.band) {
        result.band = new Float32Array(3 * P);
        [0.1, 0.5, 0.9].forEach((q, k) => sampleQuantiles(own, paths, P, q, result.band!.subarray(k * P, (k + 1) * P)));
      }
      return result;
    });
  }

  /** The contract's predict on a batch of series: mean [rows × P] and the 0.1 … 0.9 quantiles [rows × 9 × P], from 100 paths. */
  async predict(batch: Batch): Promise<Predictions> {
    if (batch.kind !== 'series') throw new TypeError('deepar: predict takes a batch of series (--format series)');
    const P = this.predictionLength, paths = defaultConfiguration.num_samples;
    const samples = await this.samplePaths(batch.series, paths, this.hyperparameters.seed, 0);
    const mean = new Float32Array(batch.rows * P), quantiles = new Float32Array(batch.rows * 9 * P);
    for (let i = 0; i < batch.rows; i++) {
      const own = samples.subarray(i * paths * P, (i + 1) * paths * P);
      sampleMean(own, paths, P, mean.subarray(i * P, (i + 1) * P));
      for (let q = 0; q < 9; q++) sampleQuantiles(own, paths, P, (q + 1) / 10, quantiles.subarray((i * 9 + q) * P, (i * 9 + q + 1) * P));
    }
    return { mean, quantiles };
  }

  predictOne(): Record<string, number | Float32Array> {
    throw new TypeError('deepar: a forecast needs a whole series; use predict on a batch of series or forecast(records)');
  }

  data(): ModelData {
    return {
      algorithm: 'deepar', hyperparameters: { ...this.modelData.hyperparameters }, schema: { ...this.modelData.schema },
      tensors: { parameters: tensor(this.parameters) }, scalars: { ...this.modelData.scalars },
    };
  }

  async save(path: string): Promise<void> {
    await saveModel(path, this);
  }
}

/**
 * Sample paths are float32: a series within float32's range but near its top (values of 2e37 and a
 * spread about them) can forecast past it, and the mean, quantiles and metrics of such paths came
 * out as null with exit 0. An error naming the series instead, as a linear-learner score past the
 * range is one.
 */
function requireFiniteSamples(records: readonly SeriesRecord[], samples: Float32Array, perSeries: number): void {
  for (let i = 0; i < records.length; i++) {
    const own = samples.subarray(i * perSeries, (i + 1) * perSeries);
    const bad = own.findIndex((v) => !Number.isFinite(v));
    if (bad < 0) continue;
    const record = records[i];
    const where = record && typeof record === 'object' && record.source !== undefined ? whereOf(record) : `deepar: series ${i}`;
    const largest = record.target.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
    throw new RangeError(`${where}: a forecast sample came out ${own[bad]}, past float32's range (±3.4e38), in which forecasts are drawn` +
      ` (the series reaches ${largest.toPrecision(3)}): scale the series down before training (divide by a constant) and its forecasts back up`);
  }
}

/**
 * SageMaker's test metrics: each test series' last prediction_length values are forecast from the
 * rest with num_eval_samples paths; RMSE, ND, wQuantileLoss[τ] over test_quantiles and their mean.
 * Deterministic for a seed: series n (counted across batches) draws from stream n.
 */
export function createDeeparEvaluator(model: DeeparModel, seed = model.hyperparameters.seed): Evaluator {
  const quantiles = parseList(model.hyperparameters.test_quantiles);
  const metrics = new ForecastMetrics(quantiles);
  const P = model.predictionLength, paths = model.hyperparameters.num_eval_samples;
  let seen = 0;
  return {
    async add(batch: Batch) {
      if (batch.kind !== 'series') throw new TypeError('deepar: evaluate takes a batch of series (--format series)');
      for (const record of batch.series) {
        if (record.target.length <= P) {
          throw new RangeError(`${whereOf(record)}: has ${record.target.length} values; a test series needs more than prediction_length (${P}): the last ${P} are forecast from the rest`);
        }
      }
      const samples = await model.samplePaths(batch.series, paths, seed, seen, (record) => record.target.length - P);
      batch.series.forEach((record, i) => {
        metrics.add(record.target.subarray(record.target.length - P), samples.subarray(i * paths * P, (i + 1) * paths * P), paths);
      });
      seen += batch.rows;
    },
    result: () => metrics.result(),
  };
}

export { pythonFloatName };
