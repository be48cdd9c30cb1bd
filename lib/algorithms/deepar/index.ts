// DeepAR (SageMaker's forecaster, Salinas et al. 2020), re-designed for streams. A pass over the
// training channel offers every window of every series to a fixed-size reservoir (a weighted
// sample ∝ the series' scale ν); the end of the pass is one epoch: num_batches_per_epoch
// optimizer steps on batches drawn from the reservoir (one native call, off the event loop).
// Memory is the reservoir and the model, whatever the number of series.
import { requireAlgorithm } from '../merge-checks.js';
import { runKernel, sharedCpuBackend } from '../../backends/run-kernel.js';
import type { Backend } from '../../backends/registry.js';
import { BatchError, type Batch, type SeriesBatch } from '../../data/batch.js';
import type { SeriesRecord } from '../../data/series.js';
import { tensor } from '../../state/tensor.js';
import { DegenerateDataError } from '../degenerate-data.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, DataSchema, Evaluator } from '../types.js';
import { deeparDataWarnings } from './data-warnings.js';
import { periodIndex, parseFrequency } from './frequency.js';
import { deeparSchema, parseList, type DeeparHyperparameters as Hp, type DeeparSchema } from './hyperparameters.js';
import { valueOutsideLikelihood } from './likelihood-domain.js';
import { createDeeparEvaluator, DeeparModel } from './model.js';
import { packSeries, whereOf } from './series-pack.js';
import { categoriesOf, settingsOf } from './settings.js';
import { createDeeparState, freshScalars, reservoirCounter, reservoirOf, trainCounter, type DeeparState } from './state.js';
import { oneUpdateAtATime } from '../counted-update.js';
import { guardStates } from '../state-guard.js';

export { DeeparModel, defaultConfiguration, resolveConfiguration } from './model.js';
export type { Forecast, ForecastConfiguration } from './model.js';
export { deeparSchema } from './hyperparameters.js';
export type { DeeparHyperparameters } from './hyperparameters.js';
export type { DeeparState } from './state.js';
export { lagsFor, parseFrequency, timestamps } from './frequency.js';
export { ForecastMetrics, sampleMean, sampleQuantiles } from './forecast-metrics.js';
export { forecastSvg } from './forecast-plot.js';

/** Series read per batch: the first batch also sizes cardinality=auto's tables. */
export const seriesPerBatch = 256;

const stateSettings = (state: DeeparState) => settingsOf(state.hyperparameters, state.schema, state.tensors.parameters.data);

const ignored = (value: string) => value === 'ignore' || value.trim() === '';

/**
 * A record's problems before it reaches a state (the reader reports them with file and line, or
 * counts and skips them under --on-bad-record skip): a start off the frequency's grid, a series
 * with no window (fewer than prediction_length values) or no observed value, dynamic features
 * not as long as the target, categories out of a given cardinality.
 */
export function checkSeries(hp: Hp, record: SeriesRecord): string | undefined {
  const frequency = parseFrequency(hp.time_freq);
  const index = periodIndex(frequency, record.startTime);
  if (typeof index === 'string') return `"start" ${JSON.stringify(record.start)} ${index}`;
  const n = record.target.length;
  if (n < hp.prediction_length) {
    return `has ${n} values, fewer than prediction_length (${hp.prediction_length}); SageMaker drops such series silently, boundless does not (--on-bad-record skip counts and skips them)`;
  }
  if (!record.target.some((v) => !Number.isNaN(v))) return 'has no observed value (every target is missing)';
  const outside = valueOutsideLikelihood(hp.likelihood, record.target);
  if (outside) return outside;
  if (!ignored(hp.num_dynamic_feat)) {
    if (hp.num_dynamic_feat !== 'auto' && record.dynamicFeat.length !== Number(hp.num_dynamic_feat)) {
      return `has ${record.dynamicFeat.length} "dynamic_feat" series, num_dynamic_feat is ${hp.num_dynamic_feat}`;
    }
    const wrong = record.dynamicFeat.findIndex((d) => d.length !== n);
    if (wrong >= 0) return `"dynamic_feat"[${wrong}] has ${record.dynamicFeat[wrong].length} values, the target ${n}: to train and evaluate they must be equally long (to predict, the target's and the horizon's)`;
  }
  if (hp.cardinality !== 'auto' && !ignored(hp.cardinality)) {
    const cardinality = parseList(hp.cardinality);
    if (record.cat.length !== cardinality.length) return `has ${record.cat.length} "cat" values, cardinality lists ${cardinality.length}`;
    const k = record.cat.findIndex((c, i) => c >= cardinality[i]);
    if (k >= 0) return `"cat"[${k}] is ${record.cat[k]}, out of range for cardinality ${cardinality[k]} (ids 0 … ${cardinality[k] - 1})`;
  }
  return undefined;
}

/** What the first batch of series says about the data: dynamic features and each "cat" feature's categories (largest id + 1). */
export function seriesSchema(first: SeriesBatch): DataSchema {
  // (createState replaces the cardinality by a given one, so states of one setting agree.)
  const numCat = first.series[0]?.cat.length ?? 0;
  const cardinality = Array.from({ length: numCat }, (_, k) => 1 + Math.max(...first.series.map((s) => s.cat[k] ?? 0)));
  return { featureDim: first.cols, labelSize: 0, series: true, cardinality };
}

function requireSeries(batch: Batch): SeriesBatch {
  if (batch.kind !== 'series') throw new BatchError('deepar: batches must be series (--format series: DeepAR\'s JSON Lines), got ' + batch.kind + ' rows');
  return batch;
}

/** Each record agrees with the state's data (dynamic features and categories as the first batch had them). */
function checkAgainstState(state: DeeparState, record: SeriesRecord): void {
  const hp = state.hyperparameters;
  const why = checkSeries(hp, record);
  if (why) throw new BatchError(`${whereOf(record)}: ${why}`);
  const s = stateSettings(state);
  if (!ignored(hp.num_dynamic_feat) && record.dynamicFeat.length !== s.native.dynamic) {
    throw new BatchError(`${whereOf(record)}: has ${record.dynamicFeat.length} "dynamic_feat" series; the series before had ${s.native.dynamic} (every series must have the same number)`);
  }
  if (!ignored(hp.cardinality) && record.cat.length !== s.categories.length) {
    throw new BatchError(`${whereOf(record)}: has ${record.cat.length} "cat" values; the series before had ${s.categories.length} (every series must have the same number)`);
  }
}

async function update(state: DeeparState, batch: Batch, backend: Backend): Promise<void> {
  const series = requireSeries(batch);
  let longest = Number(state.scalars.longest_series ?? 0);
  for (const record of series.series) {
    checkAgainstState(state, record);
    longest = Math.max(longest, record.target.length);
  }
  // The longest series seen (data-warnings.ts: a context_length beyond it is mostly padding).
  if (series.series.length > 0) state.scalars.longest_series = longest;
  const s = stateSettings(state);
  const pack = packSeries(series.series, s, { unseen: 'error' });
  await runKernel(backend, 'deeparOffer', { settings: s.native, seed: state.hyperparameters.seed, reservoir: reservoirOf(state), series: pack });
}

/** One epoch: num_batches_per_epoch optimizer steps on windows drawn from the reservoir. */
async function endPass(state: DeeparState, backend?: Backend): Promise<void> {
  const hp = state.hyperparameters;
  const counters = state.tensors.train_counters.data as Float64Array;
  counters[trainCounter.loss] = 0;
  counters[trainCounter.weight] = 0;
  if ((state.tensors.reservoir_counters.data as Float64Array)[reservoirCounter.filled] === 0) return;
  const t = state.tensors;
  await runKernel(backend ?? sharedCpuBackend(), 'deeparTrainRound', {
    settings: stateSettings(state).native, seed: hp.seed, reservoir: reservoirOf(state), batch: hp.mini_batch_size, count: hp.num_batches_per_epoch,
    state: { parameters: t.parameters.data as Float32Array, moment1: t.moment1.data as Float32Array, moment2: t.moment2.data as Float32Array, counters },
  });
  state.scalars.epochs_trained = Number(state.scalars.epochs_trained) + 1;
  const weight = counters[trainCounter.weight];
  const loss = weight > 0 ? counters[trainCounter.loss] / weight : null;
  if (loss !== null && !Number.isFinite(loss)) {
    throw new DegenerateDataError(`deepar: the training loss of epoch ${state.scalars.epochs_trained} is ${loss}: training diverged ` +
      '(values far beyond the others, a likelihood that does not fit the data?); lower learning_rate or check the series');
  }
  state.scalars.epoch_loss = loss;
}

function checkTrainingData(state: DeeparState): void {
  if ((state.tensors.reservoir_counters.data as Float64Array)[reservoirCounter.filled] > 0) return;
  throw new DegenerateDataError('deepar: the training series gave no window to train on (each needs prediction_length values with at least one observed)');
}

/**
 * Shards' states: the reservoirs merge exactly (the largest keys of all, as if one reservoir had
 * seen every shard's windows); parameters and Adam's moments are averaged, weighted by the
 * optimizer steps each took; counters add.
 */
function merge(states: DeeparState[]): DeeparState {
  if (states.length === 0) throw new RangeError('deepar: merge needs at least one state');
  requireAlgorithm('deepar merge', 'deepar', states);
  if (states.length === 1) return states[0];
  const [first] = states;
  for (const s of states) {
    if (JSON.stringify(s.hyperparameters) !== JSON.stringify(first.hyperparameters)) {
      throw new RangeError('deepar: merge needs states of the same hyperparameters');
    }
    if (JSON.stringify(s.schema) !== JSON.stringify(first.schema)) {
      throw new RangeError(`deepar: merge needs states of the same data: ${JSON.stringify(s.schema)} against ${JSON.stringify(first.schema)} ` +
        '(with cardinality=auto each state sized its tables from its own first series; give cardinality=[…] to shards)');
    }
  }
  const merged = createDeeparState(first.hyperparameters, first.schema);
  const steps = states.map((s) => (s.tensors.train_counters.data as Float64Array)[trainCounter.steps]);
  const total = steps.reduce((a, b) => a + b, 0);
  for (const name of ['parameters', 'moment1', 'moment2']) {
    const out = merged.tensors[name].data as Float32Array;
    out.fill(0);
    states.forEach((s, i) => {
      const w = total > 0 ? steps[i] / total : 1 / states.length;
      const from = s.tensors[name].data as Float32Array;
      for (let j = 0; j < out.length; j++) out[j] += w * from[j];
    });
  }
  const counters = merged.tensors.train_counters.data as Float64Array;
  counters[trainCounter.steps] = Math.max(...steps);
  for (const s of states) {
    const c = s.tensors.train_counters.data as Float64Array;
    counters[trainCounter.loss] += c[trainCounter.loss];
    counters[trainCounter.weight] += c[trainCounter.weight];
  }
  mergeReservoirs(merged, states);
  merged.scalars = { ...freshScalars(), epochs_trained: Math.max(...states.map((s) => Number(s.scalars.epochs_trained))) };
  const longest = Math.max(...states.map((s) => Number(s.scalars.longest_series ?? 0)));
  if (longest > 0) merged.scalars.longest_series = longest;
  merged.scalars.epoch_loss = counters[trainCounter.weight] > 0 ? counters[trainCounter.loss] / counters[trainCounter.weight] : null;
  return merged;
}

function mergeReservoirs(merged: DeeparState, states: DeeparState[]): void {
  const candidates: { state: DeeparState; slot: number; key: number }[] = [];
  for (const state of states) {
    const filled = (state.tensors.reservoir_counters.data as Float64Array)[reservoirCounter.filled];
    const keys = state.tensors.reservoir_keys.data as Float64Array;
    for (let slot = 0; slot < filled; slot++) candidates.push({ state, slot, key: keys[slot] });
  }
  candidates.sort((a, b) => b.key - a.key);
  const kept = candidates.slice(0, merged.hyperparameters.window_reservoir_size);
  const rowWidths: Record<string, number> = {};
  for (const name of ['reservoir_targets', 'reservoir_dynamic', 'reservoir_cats', 'reservoir_origin', 'reservoir_age', 'reservoir_scale', 'reservoir_keys']) {
    rowWidths[name] = merged.tensors[name].data.length / merged.hyperparameters.window_reservoir_size;
  }
  kept.forEach(({ state, slot }, i) => {
    for (const [name, width] of Object.entries(rowWidths)) {
      if (width < 1) continue;  // an empty block (no dynamic features or categories)
      const w = Math.floor(width);
      (merged.tensors[name].data as Float32Array).set((state.tensors[name].data as Float32Array).subarray(slot * w, (slot + 1) * w), i * w);
    }
  });
  const counters = merged.tensors.reservoir_counters.data as Float64Array;
  counters[reservoirCounter.filled] = kept.length;
  for (const s of states) {
    const c = s.tensors.reservoir_counters.data as Float64Array;
    counters[reservoirCounter.windows] += c[reservoirCounter.windows];
    counters[reservoirCounter.series] += c[reservoirCounter.series];
  }
}

function finalize(state: DeeparState, backend: Parameters<Algorithm['finalize']>[1]): DeeparModel {
  checkTrainingData(state);
  return new DeeparModel({
    algorithm: 'deepar', hyperparameters: { ...state.hyperparameters }, schema: { ...state.schema },
    tensors: { parameters: tensor(Float32Array.from(state.tensors.parameters.data as Float32Array)) },
    scalars: { epochs_trained: state.scalars.epochs_trained, epoch_loss: state.scalars.epoch_loss },
  }, backend);
}

export const deepar: Algorithm<DeeparSchema, DeeparModel> & {
  checkSeries: typeof checkSeries;
  createEvaluator(model: DeeparModel, seed?: number): Evaluator;
} = guardStates({
  name: 'deepar',
  hyperparameters: deeparSchema,
  labelSize: 0,
  checkSeries,
  createState: (hp, schema) => createDeeparState(hp, hp.cardinality === 'auto' ? schema : { ...schema, cardinality: categoriesOf(hp, schema) }),
  update: (state, batch, backend) => oneUpdateAtATime(state, () => update(state, batch, backend)),
  merge,
  checkTrainingData,
  dataWarnings: deeparDataWarnings,
  endPass,
  readBatchRows: () => seriesPerBatch,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('deepar', deeparSchema, data.hyperparameters);
    return new DeeparModel(data, backend);
  },
  createEvaluator: (model: DeeparModel, seed?: number) => createDeeparEvaluator(model, seed),
  objective: { metric: 'mean_wQuantileLoss', minimize: true },
  trainingObjective: { metric: 'loss', minimize: true },
  progressiveMetrics: (state): Record<string, number> => (typeof state.scalars.epoch_loss === 'number' ? { loss: state.scalars.epoch_loss } : {}),
});
