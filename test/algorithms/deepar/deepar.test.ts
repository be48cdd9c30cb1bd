// DeepAR's pieces a user relies on without seeing them: the frequency's lags and calendar
// features, the forecast's timestamps, what one pass and one epoch do, and that training learns.
import assert from 'node:assert/strict';
import {
  createBackend, deepar, lagsFor, loadCoreAddon, parseFrequency, parseHyperparameters, timestamps, type Backend, type DeeparState,
} from '../../../lib/index.js';
import { seasonalSeries, seriesBatch } from '../../fixtures/series-data.js';

const addon = loadCoreAddon();

/** ISO 8601 week of a UTC date (the Thursday of its week decides the year). */
function isoWeek(date: Date): number {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7)));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  return 1 + Math.round(((thursday.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
}

describe('deepar: frequencies, lags and calendar features', () => {
  it('parses SageMaker\'s time_freq with multiples', () => {
    assert.deepEqual(parseFrequency('5min'), { text: '5min', name: 'min', multiple: 5, unit: 0, step: 5, featureSet: 0 });
    assert.deepEqual(parseFrequency('2H'), { text: '2H', name: 'H', multiple: 2, unit: 1, step: 2, featureSet: 1 });
    assert.deepEqual(parseFrequency('W'), { text: 'W', name: 'W', multiple: 1, unit: 2, step: 7, featureSet: 3 });
    assert.throws(() => parseFrequency('Q'), /time_freq "Q" is not <int>\?\(min\|H\|D\|W\|M\)/);
  });

  it('takes lags by GluonTS\'s rule: 1–7 and ±1 around seasonal cycles, up to 1,200 steps', () => {
    assert.deepEqual(lagsFor(parseFrequency('M')), [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 23, 24, 25, 35, 36, 37]);
    assert.deepEqual(lagsFor(parseFrequency('D')), [1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 20, 21, 22, 27, 28, 29, 30, 31, 56, 59, 60, 61, 84,
      89, 90, 91, 119, 120, 121, 363, 364, 365, 727, 728, 729, 1091, 1092, 1093]);
    assert.deepEqual(lagsFor(parseFrequency('H')), [1, 2, 3, 4, 5, 6, 7, 23, 24, 25, 47, 48, 49, 71, 72, 73, 95, 96, 97, 119, 120, 121,
      143, 144, 145, 167, 168, 169, 335, 336, 337, 503, 504, 505, 671, 672, 673, 719, 720, 721]);
  });

  it('computes calendar features natively as the calendar has them (300 random days, 1900–2100)', () => {
    for (let i = 0; i < 300; i++) {
      const day = Math.floor(-25567 + ((i * 7919) % 73000));
      const date = new Date(day * 86_400_000);
      const doy = (Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000;
      const dayFeatures = Array.from(addon.deeparTimeFeatures(2, 2, day));
      const expected = [((date.getUTCDay() + 6) % 7) / 6 - 0.5, (date.getUTCDate() - 1) / 30 - 0.5, doy / 365 - 0.5];
      expected.forEach((v, k) => assert.ok(Math.abs(dayFeatures[k] - v) < 1e-6, `${date.toISOString()} feature ${k}: ${dayFeatures[k]} vs ${v}`));
      const week = addon.deeparTimeFeatures(3, 2, day)[1];
      assert.ok(Math.abs(week - ((isoWeek(date) - 1) / 52 - 0.5)) < 1e-6, `${date.toISOString()}: ISO week ${isoWeek(date)}, feature ${week}`);
      const minute = day * 1440 + ((i * 37) % 1440);
      const minuteFeatures = addon.deeparTimeFeatures(0, 0, minute);
      assert.ok(Math.abs(minuteFeatures[0] - (((i * 37) % 60) / 59 - 0.5)) < 1e-6 && Math.abs(minuteFeatures[1] - (Math.floor(((i * 37) % 1440) / 60) / 23 - 0.5)) < 1e-6);
    }
    // Months since January 1970: month-of-year, also before 1970.
    assert.ok(Math.abs(addon.deeparTimeFeatures(4, 3, -1)[0] - 0.5) < 1e-6, 'December 1969');
    assert.ok(Math.abs(addon.deeparTimeFeatures(4, 3, 12 * 30 + 5)[0] - (5 / 11 - 0.5)) < 1e-6, 'June 2000');
  });

  it('gives the horizon\'s timestamps; a monthly series keeps its day of the month (the last day when shorter)', () => {
    const start = Date.UTC(2000, 0, 31);
    assert.deepEqual(timestamps(parseFrequency('M'), start, 1, 3), ['2000-02-29 00:00:00', '2000-03-31 00:00:00', '2000-04-30 00:00:00']);
    assert.deepEqual(timestamps(parseFrequency('2H'), Date.UTC(2024, 11, 31, 22), 1, 2), ['2025-01-01 00:00:00', '2025-01-01 02:00:00']);
    assert.deepEqual(timestamps(parseFrequency('W'), Date.UTC(2024, 0, 7), 52, 1), ['2025-01-05 00:00:00']);
  });

  it('keeps years before 100 as written', async () => {
    const { toSeriesRecord } = await import('../../../lib/index.js');
    const record = toSeriesRecord({ start: '0050-03-01 00:00:00', target: [1, 2] }, {}, 'x', 1);
    assert.ok(typeof record !== 'string');
    assert.deepEqual(timestamps(parseFrequency('M'), record.startTime, 2, 1), ['0050-05-01 00:00:00']);
  });

  it('takes list and count hyperparameters as JSON arrays and numbers too (the API, a hyperparameters file)', () => {
    const hp = parseHyperparameters('deepar', deepar.hyperparameters, {
      time_freq: 'M', prediction_length: 2, context_length: 4, epochs: 1, cardinality: [4, 12], test_quantiles: [0.1, 0.9], num_dynamic_feat: 0,
    });
    assert.equal(hp.cardinality, '[4, 12]');
    assert.equal(hp.test_quantiles, '[0.1, 0.9]');
    assert.equal(hp.num_dynamic_feat, '0');
  });

  it('refuses a start off the frequency\'s grid, naming the record', () => {
    const hp = parseHyperparameters('deepar', deepar.hyperparameters, { time_freq: 'H', prediction_length: 2, context_length: 4, epochs: 1 });
    const record = { ...seasonalSeries(1, { series: 1 })[0], start: '2000-01-01 05:30:00', startTime: Date.UTC(2000, 0, 1, 5, 30) };
    assert.equal(deepar.checkSeries(hp, record), '"start" "2000-01-01 05:30:00" is not on the grid of time_freq=H (whole hours): a series of another frequency?');
    // Monthly: any day, at midnight as daily and weekly starts are (a time of day was taken, and carried into every forecast timestamp).
    const monthly = parseHyperparameters('deepar', deepar.hyperparameters, { time_freq: 'M', prediction_length: 2, context_length: 4, epochs: 1 });
    const afternoon = { ...record, start: '2000-01-17 12:30:00', startTime: Date.UTC(2000, 0, 17, 12, 30) };
    assert.equal(deepar.checkSeries(monthly, afternoon), '"start" "2000-01-17 12:30:00" is not on the grid of time_freq=M (midnight, on any day of the month): a series of another frequency?');
    assert.equal(deepar.checkSeries(monthly, { ...record, start: '2000-01-17 00:00:00', startTime: Date.UTC(2000, 0, 17) }), undefined);
  });
});

describe('deepar: one pass, one epoch, learning', () => {
  let backend: Backend;
  before(async () => { backend = await createBackend('cpu'); });
  after(async () => { await backend.dispose(); });
  const hp = (extra: Record<string, unknown> = {}) => parseHyperparameters('deepar', deepar.hyperparameters, {
    time_freq: 'M', prediction_length: 6, context_length: 12, epochs: 1, num_cells: 16, mini_batch_size: 32, num_batches_per_epoch: 25,
    learning_rate: 0.01, window_reservoir_size: 512, num_eval_samples: 100, seed: 4, ...extra,
  });
  const schema = { featureDim: 0, labelSize: 0, series: true, cardinality: [3] };

  it('offers every window of a pass to the reservoir; windows ∝ ν: larger series fill more of it', async () => {
    const state = deepar.createState(hp({ window_reservoir_size: 64 }), schema, backend) as DeeparState;
    const records = seasonalSeries(5, { series: 6, length: 48 });
    await deepar.update(state, seriesBatch(records), backend);
    const counters = state.tensors.reservoir_counters.data as Float64Array;
    // A window per forecast start s in [0, 48 − 6]: 43 a series.
    assert.deepEqual(Array.from(counters), [64, 6 * 43, 6]);
    // ν grows with the series' level (5·(1 + i)^1.3): the largest series hold more slots than the smallest.
    const scales = Array.from(state.tensors.reservoir_scale.data as Float32Array);
    const smallest = scales.filter((v) => v < 8).length, largest = scales.filter((v) => v > 40).length;
    assert.ok(largest > 2 * smallest, `slots of the largest series ${largest}, of the smallest ${smallest}`);
  });

  it('warns of series far from 0 that vary by less than 0.001 of their level, not of constant or ordinary ones', async () => {
    const records = seasonalSeries(5, { series: 6, length: 48 });
    const ordinary = deepar.createState(hp(), schema, backend) as DeeparState;
    await deepar.update(ordinary, seriesBatch(records), backend);
    assert.deepEqual(deepar.dataWarnings!(ordinary), []);
    // The same series moved to 1e9 (float32 keeps them to steps of 64), and one constant series.
    const far = records.map((r) => ({ ...r, target: Float32Array.from(r.target, (v) => 1e9 + 1000 * v) }));
    const constant = { ...records[0], target: new Float32Array(48).fill(1e9) };
    const state = deepar.createState(hp(), schema, backend) as DeeparState;
    await deepar.update(state, seriesBatch([...far, constant]), backend);
    const [warning, ...more] = deepar.dataWarnings!(state);
    const filled = (state.tensors.reservoir_counters.data as Float64Array)[0];
    assert.equal(more.length, 0);
    assert.match(warning, new RegExp(`^deepar: ${6 * 43} of the ${filled} training windows sampled vary by less than 0.001 of their level \\(the widest: 1\\.000e\\+9 ± `));
    assert.match(warning, /Subtract a baseline from each series .* Values near 1\.0e\+9 are also held in float32 only to steps of 64\.$/);
  });

  it('warns of a context_length longer than every training series (16 s and 383 MB an epoch at 1,000 on series of 40 values), and merges the longest', async () => {
    const records = seasonalSeries(5, { series: 3, length: 30 });
    const long = deepar.createState(hp({ context_length: 64 }), schema, backend) as DeeparState;
    await deepar.update(long, seriesBatch(records), backend);
    assert.equal(long.scalars.longest_series, 30);
    assert.deepEqual(deepar.dataWarnings!(long).map((w) => w.slice(0, 131)),
      ['deepar: context_length 64 is longer than every training series (the longest has 30 values): each window\'s context is mostly padding']);
    const shard = deepar.createState(hp({ context_length: 64 }), schema, backend) as DeeparState;
    await deepar.update(shard, seriesBatch(seasonalSeries(6, { series: 2, length: 70 })), backend);
    assert.equal(deepar.merge([long, shard]).scalars.longest_series, 70);
    assert.deepEqual(deepar.dataWarnings!(deepar.merge([long, shard])), []);
  });

  it('an epoch is num_batches_per_epoch optimizer steps, whatever the number of series', async () => {
    const state = deepar.createState(hp({ num_batches_per_epoch: 7 }), schema, backend) as DeeparState;
    await deepar.update(state, seriesBatch(seasonalSeries(5, { series: 2, length: 30 })), backend);
    await deepar.endPass!(state);
    await deepar.update(state, seriesBatch(seasonalSeries(6, { series: 9, length: 80 })), backend);
    await deepar.endPass!(state);
    assert.equal((state.tensors.train_counters.data as Float64Array)[0], 14);
    assert.equal(state.scalars.epochs_trained, 2);
    assert.ok(typeof state.scalars.epoch_loss === 'number');
  });

  it('learns seasonal series: ND and mean wQuantileLoss well below seasonal naive on held-out horizons', async () => {
    const state = deepar.createState(hp(), schema, backend) as DeeparState;
    const train = seasonalSeries(7, { series: 12, length: 72, missing: 0.03 });
    for (let epoch = 0; epoch < 40; epoch++) {
      await deepar.update(state, seriesBatch(train), backend);
      await deepar.endPass!(state);
    }
    const test = seasonalSeries(8, { series: 12, length: 72 });
    const evaluator = deepar.createEvaluator(await deepar.finalize(state, backend), 1);
    await evaluator.add(seriesBatch(test));
    const ours = evaluator.result();
    // Seasonal naive: the value 12 months before each point of the horizon.
    let error = 0, total = 0;
    for (const r of test) {
      for (let t = 66; t < 72; t++) {
        error += Math.abs(r.target[t] - r.target[t - 12]);
        total += Math.abs(r.target[t]);
      }
    }
    const naive = error / total;
    assert.ok(ours.ND < 0.7 * naive, `ND ${ours.ND} vs seasonal naive ${naive}`);
    assert.ok(ours.mean_wQuantileLoss < ours.ND, 'the quantiles carry information beyond the median');
    // Deterministic for a seed; another seed draws other paths.
    const again = deepar.createEvaluator(await deepar.finalize(state, backend), 1);
    await again.add(seriesBatch(test));
    assert.deepEqual(again.result(), ours);
    const other = deepar.createEvaluator(await deepar.finalize(state, backend), 2);
    await other.add(seriesBatch(test));
    assert.notEqual(other.result().ND, ours.ND);
    // The last two values before the horizon missing: the lags read the last observed value, not 0
    // (read as 0, the forecast fell towards 0: ND was 0.080 against 0.016 with them, 5.2 times).
    const gapped = test.map((r) => ({ ...r, target: Float32Array.from(r.target, (v, t) => (t === 64 || t === 65 ? NaN : v)) }));
    const withGaps = deepar.createEvaluator(await deepar.finalize(state, backend), 1);
    await withGaps.add(seriesBatch(gapped));
    const gappedND = withGaps.result().ND;
    assert.ok(gappedND < 0.05 && gappedND < 2.5 * ours.ND, `ND ${gappedND} with the last two context values missing, ${ours.ND} without`);
    // The whole context missing: scaled and lagged by the last value observed before it, not by 1 and 0.
    const blank = test.map((r) => ({ ...r, target: Float32Array.from(r.target, (v, t) => (t >= 54 && t < 66 ? NaN : v)) }));
    const withoutContext = deepar.createEvaluator(await deepar.finalize(state, backend), 1);
    await withoutContext.add(seriesBatch(blank));
    assert.ok(withoutContext.result().ND < 0.3, `ND ${withoutContext.result().ND} with the whole context missing`);
    // A record made in JavaScript whose startTime is not its start's: refused, not forecast at startTime.
    const model = await deepar.finalize(state, backend);
    await assert.rejects(model.forecast([{ ...test[0], startTime: Date.UTC(2001, 0, 1) }]),
      /startTime 978307200000 is 2001-01-01T00:00:00\.000Z, but "start" "2000-01-01 00:00:00" is 2000-01-01T00:00:00\.000Z: they must agree/);
    // Records, arguments and configurations the API takes are checked (a NaN mean, an embedding
    // error or a default taken without a word, before).
    const where = `${test[1].source}, line ${test[1].line}`;
    await assert.rejects(model.forecast([test[0], { ...test[1], target: Float32Array.of(1, 2, Infinity, 4) }]),
      { name: 'RangeError', message: `${where}: "target"[2] is Infinity; values must be finite (a missing one is NaN)` });
    await assert.rejects(model.forecast([{ ...test[0], cat: Int32Array.of(-1) }]), /: "cat"\[0\] is -1; categories are integers ≥ 0$/);
    await assert.rejects(model.forecast([{ target: [1, 2, 3] } as never]), { name: 'TypeError', message: 'deepar: series 0: "target" must be a Float32Array (missing values NaN)' });
    await assert.rejects(model.samplePaths(test, 3, -1, 0), { message: 'deepar: seed must be an integer ≥ 0, got -1' });
    await assert.rejects(model.samplePaths(test, 3, NaN, 0), { message: 'deepar: seed must be an integer ≥ 0, got NaN' });
    await assert.rejects(model.samplePaths(test, 0, 1, 0), { message: 'deepar: paths must be an integer ≥ 1, got 0' });
    await assert.rejects(model.forecast(test, { numSamples: 5 } as never),
      { message: 'deepar: the configuration has no field "numSamples"; its fields are num_samples, output_types, quantiles' });
  });
});

describe('deepar: values a likelihood cannot model', () => {
  it('refuses values outside (0, 1) for beta and negative values for the negative binomial, naming the value', () => {
    const record = seasonalSeries(1, { series: 1, length: 20 })[0];
    const hp = (likelihood: string) => parseHyperparameters('deepar', deepar.hyperparameters, { time_freq: 'M', prediction_length: 2, context_length: 4, epochs: 1, likelihood });
    assert.match(deepar.checkSeries(hp('beta'), record)!, /^"target"\[0\] is \d+(\.\d+)?; likelihood=beta models values in \(0, 1\)$/);
    assert.equal(deepar.checkSeries(hp('beta'), { ...record, target: Float32Array.of(0.2, NaN, 0.5, 0.9) }), undefined);
    assert.equal(deepar.checkSeries(hp('negative-binomial'), { ...record, target: Float32Array.of(3, 0, -1, 4) }), '"target"[2] is -1; likelihood=negative-binomial models counts (values ≥ 0)');
    assert.equal(deepar.checkSeries(hp('student-T'), { ...record, target: Float32Array.of(3, 0, -1, 4) }), undefined);
  });

  it('a model refuses to forecast from a history its likelihood cannot model (predict forecast it; evaluate refused it)', async () => {
    const backend = await createBackend('cpu');
    const hp = parseHyperparameters('deepar', deepar.hyperparameters, { time_freq: 'M', prediction_length: 2, context_length: 4, epochs: 1,
      likelihood: 'negative-binomial', num_cells: 8, num_batches_per_epoch: 1 });
    const counts = seasonalSeries(1, { series: 2, length: 24 }).map((r) => ({ ...r, target: Float32Array.from(r.target, (v) => Math.round(Math.abs(v))) }));
    const state = deepar.createState(hp, { featureDim: 0, labelSize: 0, series: true, cardinality: [3] }, backend);
    await deepar.update(state, seriesBatch(counts), backend);
    await deepar.endPass!(state);
    const model = await deepar.finalize(state, backend);
    const negative = { ...counts[0], target: Float32Array.from(counts[0].target, (v, t) => (t === 3 ? -2 : v)) };
    await assert.rejects(model.forecast([negative]), { message: `${counts[0].source}, line ${counts[0].line}: "target"[3] is -2; likelihood=negative-binomial models counts (values ≥ 0)` });
    assert.equal((await model.forecast([counts[0]]))[0].mean!.length, 2);
  });

  it('a forecast past float32\'s range is an error naming the series, never null means and metrics', async () => {
    const backend = await createBackend('cpu');
    const hp = parseHyperparameters('deepar', deepar.hyperparameters, { time_freq: 'M', prediction_length: 3, context_length: 6, epochs: 1,
      num_cells: 8, num_batches_per_epoch: 1 });
    const series = seasonalSeries(2, { series: 2, length: 24 });
    const state = deepar.createState(hp, { featureDim: 0, labelSize: 0, series: true, cardinality: [3] }, backend);
    await deepar.update(state, seriesBatch(series), backend);
    await deepar.endPass!(state);
    const model = await deepar.finalize(state, backend);
    // Within float32's range (the reader takes it), but its forecasts spread past 3.4e38: they came out null with exit 0.
    const huge = { ...series[0], target: Float32Array.from(series[0].target, (_, t) => 2.5e38 + 2e37 * (t % 3)) };
    await assert.rejects(model.forecast([huge]), (error: Error) => {
      assert.match(error.message, new RegExp(`^${series[0].source}, line ${series[0].line}: a forecast sample came out -?Infinity, past float32's range ` +
        '\\(±3\\.4e38\\), in which forecasts are drawn \\(the series reaches 2\\.90e\\+38\\): scale the series down'));
      return true;
    });
    // An ordinary series of the same model forecasts finite values.
    assert.ok((await model.forecast([series[1]]))[0].mean!.every(Number.isFinite));
  });
});
