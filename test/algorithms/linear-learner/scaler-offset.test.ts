// The linear learner's scaler on data far from the origin: feature and label
// means and deviations from sums about the sample's first row, so an offset of
// 1e5 × the spread costs nothing (Σx²/n − mean² lost 6e-4 of σ there, 43% at 1e6).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, linearLearner, loadModel, loadState, parseHyperparameters, Random, saveState, train, type RowBatch,
} from '../../../lib/index.js';
import type { SparseBatch } from '../../../lib/data/batch.js';

const dim = 3;

/** Rows at `offset` (features spread ~1 around offsets of different sizes, labels around 10·offset). */
function batches(offset: number, seed: number, count: number, rows = 50): RowBatch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(rows * dim);
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let score = 0;
      for (let j = 0; j < dim; j++) {
        const v = random.nextGaussian() * (j + 1);
        x[r * dim + j] = offset * (j + 1) + v;
        score += v * (j % 2 === 0 ? 2 : -1);
      }
      y[r] = 10 * offset + score + 0.1 * random.nextGaussian();
    }
    return denseBatch(x, dim, y);
  });
}

/** Two-pass float64 mean and deviation of column j (dim for the label) over the float32 inputs. */
function reference(data: RowBatch[], j: number): { mean: number; deviation: number } {
  const values = data.flatMap((b) => Array.from({ length: b.rows }, (_, r) => (j < dim ? b.values[r * dim + j] : b.labels![r])));
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, deviation: Math.sqrt(variance) };
}

describe('linear learner scaler far from the origin', function () {
  this.timeout(60_000);
  const hpFor = () => parseHyperparameters('linear-learner', linearLearner.hyperparameters,
    { predictor_type: 'regressor', num_models: 2, num_point_for_scaler: 400 });

  for (const offset of [0, 1e3, 1e5]) {
    it(`means and deviations of features and label equal a float64 two-pass reference at an offset of ${offset} × the spread`, async () => {
      const cpu = await createBackend('cpu');
      const data = batches(offset, 3, 8);
      const state = linearLearner.createState(hpFor(), { featureDim: dim, labelSize: 1 }, cpu);
      for (const b of data) await linearLearner.update(state, b, cpu);
      const shift = state.tensors.feature_shift.data as Float32Array;
      const scale = state.tensors.feature_scale.data as Float32Array;
      const label = state.tensors.label_transform.data as Float32Array;
      for (let j = 0; j <= dim; j++) {
        const { mean, deviation } = reference(data, j);
        const [gotMean, gotScale] = j < dim ? [shift[j], scale[j]] : [label[0], label[1]];
        // Both are float32 in the state: within a few float32 roundings of the exact values.
        assert.ok(Math.abs(gotMean - mean) <= 4e-7 * Math.abs(mean) + 1e-6, `column ${j}: mean ${gotMean} vs ${mean}`);
        assert.ok(Math.abs(gotScale * deviation - 1) <= 1e-6, `column ${j}: scale ${gotScale} vs 1/${deviation}`);
      }
    });
  }

  it('merges shards whose samples began at different rows exactly as one state of all their rows', async () => {
    const cpu = await createBackend('cpu');
    const [a, b] = [batches(1e5, 5, 4), batches(1e5, 6, 4)];
    const train = async (data: RowBatch[]) => {
      const state = linearLearner.createState(hpFor(), { featureDim: dim, labelSize: 1 }, cpu);
      for (const batch of data) await linearLearner.update(state, batch, cpu);
      return state;
    };
    const merged = linearLearner.merge([await train(a), await train(b)]);
    const scale = merged.tensors.feature_scale.data as Float32Array;
    const shift = merged.tensors.feature_shift.data as Float32Array;
    const label = merged.tensors.label_transform.data as Float32Array;
    for (let j = 0; j <= dim; j++) {
      const { mean, deviation } = reference([...a, ...b], j);
      const [gotMean, gotScale] = j < dim ? [shift[j], scale[j]] : [label[0], label[1]];
      assert.ok(Math.abs(gotMean - mean) <= 4e-7 * Math.abs(mean), `column ${j}: mean ${gotMean} vs ${mean}`);
      assert.ok(Math.abs(gotScale * deviation - 1) <= 1e-6, `column ${j}: scale ${gotScale} vs 1/${deviation}`);
    }
  });

  for (const offset of [0, 1e3]) {
    it(`a merge round whose states sampled about other origins than its base (a cluster member that started fresh) scales as one state of all their rows, at ${offset} × the spread`, async () => {
      const cpu = await createBackend('cpu');
      const train = async (data: RowBatch[], from?: ReturnType<typeof linearLearner.createState>) => {
        const state = from ? linearLearner.merge([from]) : linearLearner.createState(hpFor(), { featureDim: dim, labelSize: 1 }, cpu);
        for (const batch of data) await linearLearner.update(state, batch, cpu);
        return state;
      };
      const [a, b, c] = [batches(offset, 11, 4), batches(offset, 12, 4), batches(offset, 13, 2)];
      // The stored round is b's state (its sums about b's first row). A member that started fresh on a
      // is rebased onto it (a merge from a fresh base: about a's first row); another continued it on c.
      const base = await train(b);
      const fresh = linearLearner.createState(hpFor(), { featureDim: dim, labelSize: 1 }, cpu);
      const rebased = linearLearner.mergeRound!(fresh, [await train(a), linearLearner.merge([base])]);
      const merged = linearLearner.mergeRound!(base, [rebased, await train(c, base)]);
      assert.equal((merged.tensors.counters.data as Float64Array)[2], 500);
      const shift = merged.tensors.feature_shift.data as Float32Array;
      const scale = merged.tensors.feature_scale.data as Float32Array;
      const label = merged.tensors.label_transform.data as Float32Array;
      for (let j = 0; j <= dim; j++) {
        const { mean, deviation } = reference([...a, ...b, ...c], j);
        const [gotMean, gotScale] = j < dim ? [shift[j], scale[j]] : [label[0], label[1]];
        // Base's sums taken away about the merge's origin: before, about their own, they left a shift of ~0.4 σ.
        assert.ok(Math.abs(gotMean - mean) <= 1e-6 * Math.abs(mean) + 1e-5, `column ${j}: mean ${gotMean} vs ${mean}`);
        assert.ok(Math.abs(gotScale * deviation - 1) <= 1e-5, `column ${j}: scale ${gotScale} vs 1/${deviation}`);
      }
    });
  }

  it('a column whose spread is below 1e-7 of its value (a Unix timestamp, 1.7e9 ± 100) is scaled by its spread, not called constant', async () => {
    // Called constant, it was left unscaled beside unit features: its ±100 went into the mean squared
    // row norm, which divided every feature's normalized rate by 1e4 (mse 3.2 where 0.26 is the fit).
    const random = Random.fromSeed(5);
    const drawn = Array.from({ length: 4000 }, () => {
      const [time, a, b] = [1.7e9 + 100 * random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
      return { time, a, b, label: 2 * a - b + 0.5 * random.nextGaussian() };
    });
    const fit = async (withTime: boolean) => {
      const data = drawn.map(({ time, a, b, label }) => ({ label, features: withTime ? [time, a, b] : [a, b] }));
      const result = await train(linearLearner, { predictor_type: 'regressor', num_models: 4 }, { train: data.slice(0, 3000), validation: data.slice(3000), epochs: 3 });
      return result;
    };
    const [timed, plain] = [await fit(true), await fit(false)];
    const scale = timed.state.tensors.feature_scale.data as Float32Array;
    assert.ok(Math.abs(scale[0] * 100 - 1) < 0.1, `the timestamp's scale ${scale[0]} (1 / its spread of ~100)`);
    const norm = (timed.state.tensors.input_norm.data as Float64Array)[2];
    assert.ok(norm > 3.5 && norm < 4.5, `mean squared scaled row norm ${norm} (the bias and three unit features)`);
    const mse = (r: typeof timed) => r.metrics.validation!.mse as number;
    assert.ok(mse(timed) < 1.02 * mse(plain), `validation mse ${mse(timed)} with the timestamp against ${mse(plain)} without`);
    assert.ok(mse(plain) < 0.3, `validation mse ${mse(plain)} (the noise's variance is 0.25)`);
  });

  it('a sparse row naming an index twice is scaled as the sum there (i:0.75 i:0.75 as i:1.5), and trains the same model', async () => {
    // Counted entry by entry, the repeats were two non-zeros of 0.75: scale 1.33 against 0.67, another model.
    const cpu = await createBackend('cpu');
    const random = Random.fromSeed(11);
    const rows = Array.from({ length: 600 }, () => {
      const indices = [...new Set(Array.from({ length: 6 }, () => Math.floor(random.nextFloat() * 40)))].sort((a, b) => a - b);
      return { indices, label: indices[0] % 2 };
    });
    const batchOf = (split: boolean): SparseBatch => {
      const indptr = [0], indices: number[] = [], values: number[] = [];
      for (const row of rows) {
        for (const j of row.indices) {
          if (split) { indices.push(j, j); values.push(0.75, 0.75); } else { indices.push(j); values.push(1.5); }
        }
        indptr.push(indices.length);
      }
      return { kind: 'sparse', rows: rows.length, cols: 40, indptr: Int32Array.from(indptr), indices: Uint32Array.from(indices),
        values: Float32Array.from(values), labels: Float32Array.from(rows.map((r) => r.label)) };
    };
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'binary_classifier', num_models: 2 });
    const trained = async (split: boolean) => {
      const state = linearLearner.createState(hp, { featureDim: 40, labelSize: 1, sparse: true }, cpu);
      await linearLearner.update(state, batchOf(split), cpu);
      return state;
    };
    const [whole, halves] = [await trained(false), await trained(true)];
    for (const name of ['feature_nonzero', 'feature_scale', 'feature_sumsq', 'input_norm']) {
      assert.deepEqual(Array.from(halves.tensors[name].data as Float64Array), Array.from(whole.tensors[name].data as Float64Array), name);
    }
    const weights = (s: typeof whole) => Array.from(s.tensors.weights.data as Float32Array);
    const far = weights(halves).reduce((m, w, k) => Math.max(m, Math.abs(w - weights(whole)[k])), 0);
    assert.ok(far <= 1e-6, `weights differ by ${far}`);
  });

  it('loads a state written before the origin existed and reads its sums as about 0', async () => {
    const cpu = await createBackend('cpu');
    const directory = await mkdtemp(join(tmpdir(), 'boundless-scaler-'));
    try {
      const data = batches(10, 7, 4);
      const state = linearLearner.createState(hpFor(), { featureDim: dim, labelSize: 1 }, cpu);
      for (const b of data.slice(0, 2)) await linearLearner.update(state, b, cpu);
      // What an older version wrote: raw sums about 0 and no origin tensor.
      const origin = state.tensors.scaler_origin.data as Float64Array;
      const copy = (name: string) => ({ ...state.tensors[name], data: Float64Array.from(state.tensors[name].data as Float64Array) });
      const [sumT, sumsqT, countersT] = [copy('feature_sum'), copy('feature_sumsq'), copy('counters')];
      const [sum, sumsq, counters] = [sumT.data, sumsqT.data, countersT.data];
      const n = counters[2];
      for (let j = 0; j < dim; j++) {
        sumsq[j] += 2 * origin[j] * sum[j] + n * origin[j] ** 2;
        sum[j] += n * origin[j];
      }
      counters[4] += 2 * origin[dim] * counters[3] + n * origin[dim] ** 2;
      counters[3] += n * origin[dim];
      const { scaler_origin: _, ...kept } = state.tensors;
      const older = { ...kept, feature_sum: sumT, feature_sumsq: sumsqT, counters: countersT };
      const path = join(directory, 'older.safetensors');
      await saveState(path, { ...state, tensors: older });
      const loaded = await loadState(path, linearLearner, cpu);
      assert.deepEqual(Array.from(loaded.tensors.scaler_origin.data as Float64Array), [0, 0, 0, 0]);
      for (const b of data.slice(2)) {
        await linearLearner.update(loaded, b, cpu);
        await linearLearner.update(state, b, cpu);
      }
      const [x, y] = [loaded.tensors.feature_scale.data as Float32Array, state.tensors.feature_scale.data as Float32Array];
      for (let j = 0; j < dim; j++) assert.ok(Math.abs(x[j] / y[j] - 1) < 1e-6, `scale ${j}: ${x[j]} vs ${y[j]}`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
  for (const unbias_label of [true, false]) it(`a regressor whose labels sit 1e7 from 0 scores test rows as its validation pass did (the model keeps a label origin; unbias_label=${unbias_label})`, async () => {
    // A 0/1 feature, label 1e7 + feature: the bias at the feature's mean (1e7 + 0.5) rounded to
    // float32 (a step of 1 there) gave test mse 0.25 against validation's 2e-15.
    const cpu = await createBackend('cpu');
    const x = Float32Array.from({ length: 2000 }, (_, r) => (r * 7919) % 3 === 0 ? 1 : 0);
    const batch = denseBatch(x, 1, x.map((v) => 1e7 + v));
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'regressor', num_models: 1, unbias_label });
    const state = linearLearner.createState(hp, { featureDim: 1, labelSize: 1 }, cpu);
    for (let epoch = 0; epoch < 3; epoch++) await linearLearner.update(state, batch, cpu);
    const validator = linearLearner.createStateValidator(state, cpu);
    await validator.add(batch);
    const validation = await validator.finish();
    const model = await linearLearner.finalize(state, cpu);
    const evaluator = linearLearner.createEvaluator!(model);
    await evaluator.add(batch);
    const tested = evaluator.result();
    assert.ok(Math.abs(tested.mse - validation.mse) <= 1e-9 + 1e-7 * validation.mse, `test mse ${tested.mse} vs validation ${validation.mse}`);
    const { labelOrigin, biasAtOrigin } = model.coefficients();
    assert.ok(Math.abs(biasAtOrigin![0]) <= labelOrigin! * 2 ** -24, `rest ${biasAtOrigin![0]} of ${labelOrigin}`);
    const scores = (await model.predict(batch)).score;
    const { weights, origin } = model.coefficients();
    for (let r = 0; r < 20; r++) {
      assert.equal(scores[r], Math.fround(labelOrigin! + biasAtOrigin![0] + (x[r] - (origin ? origin[0] : 0)) * weights[0]), `row ${r}`);
      if (unbias_label) assert.equal(scores[r], Math.fround(1e7 + x[r]), `row ${r}`);
    }
  });

  it('merges shards whose scalers differ (each saw another range of x) as one function of the raw inputs: merge and two workers', async () => {
    // Worker a's x0 in [0, 1], b's in [100, 101]: their weights were averaged in their own units, and
    // the merged model gave mse 26,802 (weights [9.4, 161]) where one state of both gave 0.014.
    const cpu = await createBackend('cpu');
    const shard = (seed: number, low: number) => {
      const random = Random.fromSeed(seed);
      const x = new Float32Array(20000 * 2);
      const y = new Float32Array(20000);
      for (let r = 0; r < 20000; r++) {
        x[2 * r] = low + random.nextFloat();
        x[2 * r + 1] = random.nextGaussian();
        y[r] = 10 * x[2 * r] + x[2 * r + 1] + 0.1 * random.nextGaussian();
      }
      return Array.from({ length: 20 }, (_, b) => denseBatch(x.slice(2000 * b, 2000 * (b + 1)), 2, y.slice(1000 * b, 1000 * (b + 1))));
    };
    const [a, b] = [shard(51, 0), shard(52, 100)];
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'regressor', num_models: 1 });
    const trainedOn = async (data: RowBatch[]) => {
      const state = linearLearner.createState(hp, { featureDim: 2, labelSize: 1 }, cpu);
      for (let epoch = 0; epoch < 3; epoch++) for (const batch of data) await linearLearner.update(state, batch, cpu);
      return state;
    };
    const mse = async (state: ReturnType<typeof linearLearner.createState>) => {
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, cpu));
      for (const batch of [...a, ...b]) await evaluator.add(batch);
      return evaluator.result().mse;
    };
    const merged = linearLearner.merge([await trainedOn(a), await trainedOn(b)]);
    assert.ok(await mse(merged) < 0.1, `merged shards: mse ${await mse(merged)}`);
    const { weights } = (await linearLearner.finalize(merged, cpu)).coefficients();
    assert.ok(Math.abs(weights[0] - 10) < 0.2 && Math.abs(weights[1] - 1) < 0.2, `weights ${Array.from(weights)}`);
    // Two workers, one file each (a share each): rounds move each worker's weights to the merged scaler.
    const directory = await mkdtemp(join(tmpdir(), 'boundless-merge-units-'));
    try {
      const csv = (data: RowBatch[]) => data.flatMap((batch) => Array.from({ length: batch.rows }, (_, r) =>
        `${batch.labels![r]},${batch.values[2 * r]},${batch.values[2 * r + 1]}`)).join('\n') + '\n';
      await writeFile(join(directory, 'a.csv'), csv(a));
      await writeFile(join(directory, 'b.csv'), csv(b));
      const result = await train(linearLearner, { predictor_type: 'regressor', num_models: 1 },
        { train: [join(directory, 'a.csv'), join(directory, 'b.csv')], epochs: 1, workers: 2, backend: 'cpu' });
      const evaluator = linearLearner.createEvaluator!(result.model);
      for (const batch of [...a, ...b]) await evaluator.add(batch);
      assert.ok(evaluator.result().mse < 0.1, `two workers: mse ${evaluator.result().mse}`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  for (const predictor_type of ['binary_classifier', 'regressor'] as const) {
    it(`a ${predictor_type} trained 1e6 × the spread from the origin scores test rows as its validation pass did (the model keeps the origin)`, async () => {
      const cpu = await createBackend('cpu');
      const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type });
      const binary = predictor_type === 'binary_classifier';
      const labelled = (data: RowBatch[]) => data.map((b) => denseBatch(b.values, dim,
        binary ? b.labels!.map((y) => (y - 1e7 > 0 ? 1 : 0)) : b.labels!.map((y) => y - 1e7)));
      const train = labelled(batches(1e6, 41, 40));
      const test = labelled(batches(1e6, 42, 4));
      const state = linearLearner.createState(hp, { featureDim: dim, labelSize: 1 }, cpu);
      for (const b of train) await linearLearner.update(state, b, cpu);
      const validator = linearLearner.createStateValidator(state, cpu);
      for (const b of test) await validator.add(b);
      const validation = await validator.finish();
      const model = await linearLearner.finalize(state, cpu);
      const evaluator = linearLearner.createEvaluator!(model);
      for (const b of test) await evaluator.add(b);
      await evaluator.settle?.();
      const tested = evaluator.result();
      // With the shift folded into a float32 bias (−Σ shift·w, millions here) test loss was 0.7%
      // (binary) and 1% (regressor) off the validation pass's on the same rows.
      assert.ok(Math.abs(tested.objective_loss / validation.objective_loss - 1) < 1e-6, `test loss ${tested.objective_loss} vs validation ${validation.objective_loss}`);
      if (binary) assert.equal(tested.binary_classification_accuracy, validation.binary_classification_accuracy);
      const { origin, biasAtOrigin, bias, weights, labelOrigin } = model.coefficients();
      // A regressor's intercept is a float32 label origin and a rest within half its float32 step.
      if (binary) assert.equal(labelOrigin, undefined);
      else assert.ok(Math.abs(biasAtOrigin![0]) <= Math.abs(labelOrigin!) * 2 ** -24, `rest ${biasAtOrigin![0]} of ${labelOrigin}`);
      assert.deepEqual(Array.from(origin!), Array.from(state.tensors.feature_shift.data as Float32Array));
      const folded = biasAtOrigin![0] + (labelOrigin ?? 0) - origin!.reduce((sum, o, j) => sum + o * weights[j], 0);
      assert.equal(bias[0], Math.fround(folded));
      // predict, predictOne and a saved and loaded model agree with a float64 reference about the origin.
      const directory = await mkdtemp(join(tmpdir(), 'boundless-origin-'));
      try {
        await model.save(join(directory, 'model.safetensors'));
        const loaded = await loadModel(join(directory, 'model.safetensors'), linearLearner, cpu);
        const batch = test[0];
        const scores = (await loaded.predict(batch)).score;
        for (let r = 0; r < batch.rows; r++) {
          let z = biasAtOrigin![0] + (labelOrigin ?? 0);
          for (let j = 0; j < dim; j++) z += (batch.values[r * dim + j] - origin![j]) * weights[j];
          const expected = Math.fround(binary ? 1 / (1 + Math.exp(-z)) : z);
          assert.ok(Math.abs(scores[r] - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `row ${r}: ${scores[r]} vs ${expected}`);
          assert.equal(model.predictOne(batch.values.subarray(r * dim, (r + 1) * dim)).score, scores[r]);
        }
        // Sparse rows start from the bias folded in float64: the same scores as the dense rows.
        const sparse: SparseBatch = {
          kind: 'sparse', rows: batch.rows, cols: dim, values: batch.values, labels: batch.labels,
          indptr: Int32Array.from({ length: batch.rows + 1 }, (_, r) => r * dim), indices: Uint32Array.from({ length: batch.rows * dim }, (_, k) => k % dim),
        };
        const sparseScores = (await loaded.predict(sparse)).score;
        for (let r = 0; r < batch.rows; r++) assert.ok(Math.abs(sparseScores[r] - scores[r]) <= 1e-6 * Math.max(1, Math.abs(scores[r])));
        // And evaluated so: each absent feature sits at −origin.
        const evaluate = async (batches: RowBatch[] | SparseBatch[]) => {
          const e = linearLearner.createEvaluator!(loaded);
          for (const b of batches) await e.add(b);
          await e.settle?.();
          return e.result();
        };
        const [fromDense, fromSparse] = [await evaluate([batch]), await evaluate([sparse])];
        for (const [name, value] of Object.entries(fromDense)) assert.ok(Math.abs(fromSparse[name] - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${name}: ${fromSparse[name]} vs ${value}`);
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });
  }
});
