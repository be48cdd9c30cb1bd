// Degenerate data is reported, not modelled: a classifier whose whole pass
// saw one class, `balanced` class weights when the scaler sample held no
// positive, channels without records.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, factorizationMachines, kmeans, linearLearner, parseHyperparameters, pca, readBatches, train, type Batch, type Evaluator,
} from '../../lib/index.js';
import { DegenerateDataError } from '../../lib/algorithms/degenerate-data.js';
import { feedFifo, makeFifo } from '../fixtures/named-pipe.js';

/** `count` rows of 2 features; label(i) says each row's class. */
function csv(count: number, label: (i: number) => number): string {
  return Array.from({ length: count }, (_, i) => {
    const y = label(i);
    return `${y},${(Math.sin(i) + 2 * y).toFixed(4)},${Math.cos(i * 0.3).toFixed(4)}`;
  }).join('\n') + '\n';
}

describe('degenerate data', function () {
  this.timeout(120_000);
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-degenerate-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  async function file(name: string, text: string): Promise<string> {
    await writeFile(join(directory, name), text);
    return join(directory, name);
  }

  it('a binary classifier whose whole pass saw one class stops after that pass, naming the class (linear learner, FM)', async () => {
    for (const [only, algorithm, hp] of [[1, linearLearner, {}], [0, linearLearner, {}], [1, factorizationMachines, { num_factors: 2 }]] as const) {
      const path = await file(`only-${only}.csv`, csv(500, () => only));
      let records = 0;
      await assert.rejects(
        train(algorithm, { predictor_type: 'binary_classifier', mini_batch_size: 50, ...hp }, { train: path, epochs: 5, onProgress: (e) => { records = e.records; } }),
        (error: Error) => {
          assert.ok(error instanceof DegenerateDataError, error.message);
          assert.equal(error.message, `${algorithm.name}: the training data held only rows of class ${only} (500 of them); a binary_classifier ` +
            'needs at least two classes to tell apart. Check the label column (--label-size, --label-column; labelColumn in the API) and that the stream was not cut short');
          return true;
        });
      assert.equal(records, 500, `${algorithm.name}: judged at the end of the first pass, not after five`);
    }
  });

  it('row weights whose squared gradients overflow float32 are reported, not a model that stopped learning (linear learner)', async () => {
    // Every 7th row weighs w: at 1e20 adam's second moments reach ∞ and every weight freezes
    // (the model stayed finite, its second pass changed nothing, and train() returned it).
    const jsonl = (w: number) => Array.from({ length: 2000 }, (_, i) => {
      const x = [Math.sin(i * 1.3), Math.cos(i * 0.7)];
      // Noisy labels, so that heavy rows keep large gradients (separable data would zero them).
      return JSON.stringify({ label: x[0] - x[1] + 0.8 * Math.sin(i * 2.9) > 0 ? 1 : 0, weight: i % 7 === 0 ? w : 1, features: x });
    }).join('\n') + '\n';
    const options = (path: string) => ({ train: path, epochs: 2, data: { format: 'jsonl' as const, featureDim: 2 } });
    const hp = { predictor_type: 'binary_classifier', num_models: 2 };
    await assert.rejects(train(linearLearner, hp, options(await file('weights-1e20.jsonl', jsonl(1e20)))), (error: Error) => {
      assert.ok(error instanceof DegenerateDataError, error.message);
      assert.match(error.message, /^linear-learner: the optimizer moments of every model of the grid \(2\) overflowed float32 \(squared gradients past 3\.4e38\); in model \d, the one selection chose, 2 of its 2 features' weights and its bias stopped learning\. Row weights this large do it/);
      return true;
    });
    // 1e15 (the webgpu backend's bound) trains, and learns the boundary.
    const { model } = await train(linearLearner, hp, options(await file('weights-1e15.jsonl', jsonl(1e15))));
    const { weights } = model!.coefficients();
    assert.ok(weights[0] > 0 && weights[1] < 0, `weights ${Array.from(weights)}`);
  });

  it('training on or evaluating rows that weigh 0 in total is an error, not a model or metrics of nothing (linear learner, FM, k-means)', async () => {
    // The linear learner reported accuracy 0 and a null loss, FM no metrics at all: both exit 0.
    const rows = (weight: number) => Array.from({ length: 300 }, (_, i) => {
      const x = [Math.sin(i * 1.3), Math.cos(i * 0.7)];
      return JSON.stringify({ label: x[0] - x[1] + 0.8 * Math.sin(i * 2.9) > 0 ? 1 : 0, weight, features: x });
    }).join('\n') + '\n';
    const data = { format: 'jsonl' as const, featureDim: 2 };
    const trainPath = await file('weighted-train.jsonl', rows(1));
    const zero = await file('weighted-zero.jsonl', rows(0));
    for (const [algorithm, hp] of [[linearLearner, { predictor_type: 'binary_classifier' }],
      [factorizationMachines, { predictor_type: 'binary_classifier', num_factors: 2 }], [kmeans, { k: 2 }]] as const) {
      const { model } = await train(algorithm as never, hp, { train: trainPath, epochs: 1, data });
      const evaluate = async (path: string) => {
        const evaluator = (algorithm.createEvaluator as (m: unknown) => Evaluator)(model);
        for await (const batch of readBatches(path, { ...data, miniBatchSize: 100, labelSize: algorithm === kmeans ? 0 : 1 })) await evaluator.add(batch);
        await evaluator.settle?.();
        return evaluator.result();
      };
      assert.ok(Object.values(await evaluate(trainPath)).every(Number.isFinite), `${algorithm.name} on weighted rows`);
      await assert.rejects(evaluate(zero), (error: Error) => {
        assert.ok(error instanceof DegenerateDataError, error.message);
        assert.equal(error.message, `${algorithm.name} evaluate: the rows evaluated weigh 0 in total (no rows, or every row's weight ` +
          'is 0), and the metrics are means weighted by them: give rows of positive weight');
        return true;
      });
      // As train()'s test channel: the error names the channel.
      await assert.rejects(train(algorithm as never, hp, { train: trainPath, test: zero, epochs: 1, data }), (error: Error) => {
        assert.ok(error instanceof DegenerateDataError, error.message);
        assert.equal(error.message, `${algorithm.name} evaluate: the rows evaluated weigh 0 in total (no rows, or every row's weight ` +
          `is 0), and the metrics are means weighted by them: give rows of positive weight (the test channel, ${zero})`);
        return true;
      });
      // As a validation channel (the linear learner and FM choose models on it): refused at the first validation
      // (a multiclass linear learner stopped early on NaN, FM chose model 0 with no metrics).
      if (algorithm !== kmeans) {
        for (const predictor of ['binary_classifier', 'regressor']) {
          await assert.rejects(train(algorithm as never, { ...hp, predictor_type: predictor }, { train: trainPath, validation: zero, epochs: 2, data }),
            new RegExp(`^DegenerateDataError: ${algorithm.name}: the validation rows weigh 0 in total \\(every row's weight is 0\\): choosing the model and stopping early`));
        }
      }
      // Training on them is refused after the pass (it wrote a model of the initial state: zero weights, the first rows as centres).
      await assert.rejects(train(algorithm as never, hp, { train: zero, epochs: 2, data }), (error: Error) => {
        assert.ok(error instanceof DegenerateDataError, error.message);
        assert.equal(error.message, `${algorithm.name}: the training data's 300 rows weigh 0 in total (every row's weight is 0), ` +
          'so there was nothing to learn from: give rows of positive weight');
        return true;
      });
    }
    // PCA's moments count rows by weight too (it said "the state has seen no data").
    await assert.rejects(train(pca, { num_components: 1 }, { train: zero, epochs: 1, data: { ...data, labelSize: 0 } }),
      /^DegenerateDataError: pca: the training data's 300 rows weigh 0 in total \(every row's weight is 0\)/);
  });

  it('judges the whole pass: a stream sorted by label (one class first) trains', async () => {
    const path = await file('sorted.csv', csv(600, (i) => (i < 400 ? 0 : 1)));
    for (const [algorithm, hp] of [[linearLearner, {}], [factorizationMachines, { num_factors: 2 }]] as const) {
      const { model } = await train(algorithm, { predictor_type: 'binary_classifier', mini_batch_size: 50, ...hp }, { train: path, epochs: 1 });
      assert.ok(model, algorithm.name);
    }
  });

  it('a linear learner whose every feature is one value in every row is refused, dense or sparse (it trained a base-rate model with no word)', async () => {
    const labels = Array.from({ length: 600 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const zeros = await file('all-zero.csv', labels.map((y) => `${y},0,0,0`).join('\n') + '\n');
    const message = /^DegenerateDataError: linear-learner: every feature is one value in all 600 training rows \(3 features, all 0\): the models could learn only the labels' base rate/;
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: zeros, epochs: 1 }), message);
    const constant = await file('all-five.csv', labels.map((y) => `${y},5,5,-2`).join('\n') + '\n');
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor' }, { train: constant, epochs: 1 }),
      /^DegenerateDataError: linear-learner: every feature is one value in all 600 training rows \(3 features\): /);
    const empty = await file('empty-rows.libsvm', labels.map((y) => `${y}`).join('\n') + '\n');
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: empty, epochs: 1, data: { format: 'libsvm', featureDim: 8 } }),
      /^DegenerateDataError: linear-learner: every feature is one value in all 600 training rows \(8 features, all 0\)/);
    // Sparse rows holding one value at the same indices in every row (1:5 3:5): constant too (they trained).
    const fives = await file('fives.libsvm', labels.map((y) => `${y} 1:5 3:5`).join('\n') + '\n');
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: fives, epochs: 1, data: { format: 'libsvm', featureDim: 3 } }),
      /^DegenerateDataError: linear-learner: every feature is one value in all 600 training rows \(3 features\): /);
    const varied = await file('varied.libsvm', labels.map((y, i) => `${y} 1:5 ${i % 3 === 0 ? '3:5' : '2:5'}`).join('\n') + '\n');
    assert.ok((await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: varied, epochs: 1, data: { format: 'libsvm', featureDim: 3 } })).model);
    // A stream longer than the scaler's sample: what the sample saw is said as a warning (the rest may vary); it said nothing.
    const warnings: string[] = [];
    await train(linearLearner, { predictor_type: 'binary_classifier', num_point_for_scaler: 100 }, { train: zeros, epochs: 1,
      onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
    assert.ok(warnings.includes('linear-learner: every feature was one value in every row of the scaler\'s sample, the first 100 rows (3 features, all 0): ' +
      'if the rest are like them, the models learn only the labels\' base rate, the same prediction for every row. Check the feature columns ' +
      '(--label-column, --ignore-columns; labelColumn in the API) and the file'), warnings.join('\n'));
    // One feature that varies is enough.
    const one = await file('one-varies.csv', labels.map((y, i) => `${y},0,${i % 5},0`).join('\n') + '\n');
    assert.ok((await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: one, epochs: 1 })).model);
  });

  it('a multiclass classifier needs two classes seen; two of three is enough', async () => {
    const one = await file('one-of-three.csv', csv(300, () => 2));
    await assert.rejects(train(linearLearner, { predictor_type: 'multiclass_classifier', num_classes: 3, mini_batch_size: 50 }, { train: one, epochs: 1 }),
      /^DegenerateDataError: linear-learner: the training data held only rows of class 2 \(300 of them\); a multiclass_classifier needs at least two classes/);
    const two = await file('two-of-three.csv', csv(300, (i) => (i % 2) * 2));
    const { model } = await train(linearLearner, { predictor_type: 'multiclass_classifier', num_classes: 3, mini_batch_size: 50 }, { train: two, epochs: 1 });
    assert.ok(model);
  });

  it('finalize and select refuse a state that saw one class, and say which', async () => {
    const cpu = await createBackend('cpu');
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'binary_classifier' });
    const state = linearLearner.createState(hp, { featureDim: 2, labelSize: 1 }, cpu);
    await linearLearner.update(state, denseBatch(Float32Array.from([1, 2, 3, 4]), 2, Float32Array.from([0, 0])), cpu);
    await assert.rejects(async () => linearLearner.finalize(state, cpu), /held only rows of class 0 \(2 of them\)/);
    await assert.rejects(async () => linearLearner.finalize(state, cpu, { criterion: 'f_beta' }), /held only rows of class 0/);
    await linearLearner.update(state, denseBatch(Float32Array.from([5, 6]), 2, Float32Array.from([1])), cpu);
    assert.ok(await linearLearner.finalize(state, cpu));
  });

  it('balanced class weights with no positive in the scaler sample follow the classes of the whole stream, never weight 1', async () => {
    // Sorted by label: the 300-row scaler sample holds no positive (the case of shared/cases/balanced-weight-ignored).
    const cpu = await createBackend('cpu');
    const rows = 1000;
    const batches: Batch[] = [];
    for (let start = 0; start < rows; start += 100) {
      const x = new Float32Array(100 * 2);
      const y = new Float32Array(100);
      for (let r = 0; r < 100; r++) {
        const i = start + r;
        y[r] = i < 800 ? 0 : 1;
        x[r * 2] = Math.sin(i) + (y[r] ? 0.8 : 0);
        x[r * 2 + 1] = Math.cos(i * 0.3);
      }
      batches.push(denseBatch(x, 2, y));
    }
    const trained = async (weight: number | string) => {
      const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters,
        { predictor_type: 'binary_classifier', num_models: 1, num_point_for_scaler: 300, positive_example_weight_mult: weight, optimizer: 'sgd', learning_rate: 0.1 });
      const state = linearLearner.createState(hp, { featureDim: 2, labelSize: 1 }, cpu);
      for (const batch of batches) await linearLearner.update(state, batch, cpu);
      return state;
    };
    const [balanced, plain, explicit] = [await trained('balanced'), await trained(1), await trained(4)];
    assert.deepEqual(Array.from(balanced.tensors.class_counts.data as Float64Array), [800, 200], 'class counts cover the whole stream, not the scaler sample');
    const bias = (s: typeof balanced) => (s.tensors.bias.data as Float32Array)[0];
    assert.notEqual(bias(balanced), bias(plain), 'balanced is not weight 1');
    // Positives arrive after 800 negatives: balanced weighs them 800/k for the k seen so far, far above 4.
    assert.ok(bias(balanced) > bias(explicit) && bias(explicit) > bias(plain), `bias: balanced ${bias(balanced)}, ×4 ${bias(explicit)}, ×1 ${bias(plain)}`);
  });

  it('PCA: more components than features is refused up front, more than rows seen after the pass, never clamped quietly', async () => {
    const wide = await file('pca-wide.csv', csv(40, (i) => i % 2));
    await assert.rejects(train(pca, { num_components: 5 }, { train: wide, data: { labelSize: 1 } }),
      /^RangeError: pca: num_components 5 exceeds the data's 2 features; a PCA of 2 features has at most 2 components$/);
    const three = await file('pca-three.csv', '1,2,3,4\n2,3,1,0\n5,5,5,1\n');
    await assert.rejects(train(pca, { num_components: 4 }, { train: three }),
      /^DegenerateDataError: pca: num_components=4 but only 3 rows seen, which centred on their mean span at most 2 directions; num_components must be at most the number of rows − 1 \(subtract_mean=true\)/);
    // Three rows centred on their mean span two directions: a third component was one of variance 3e-16 and a direction of chance.
    await assert.rejects(train(pca, { num_components: 3 }, { train: three }), /^DegenerateDataError: pca: num_components=3 but only 3 rows seen, which centred/);
    await assert.rejects(train(pca, { num_components: 4, subtract_mean: false }, { train: three }),
      /^DegenerateDataError: pca: num_components=4 but only 3 rows seen; num_components must be at most the number of rows$/);
    // More epochs would not make more rows: PCA takes one pass (another counted every row again).
    await assert.rejects(train(pca, { num_components: 4 }, { train: three, epochs: 3 }),
      /^RangeError: train: pca takes at most 1 epoch, got 3 \(epochs: one pass: the state is a sum or a sketch, and another pass would count every row again\)$/);
    const { model } = await train(pca, { num_components: 2 }, { train: three });
    assert.deepEqual(model.data().tensors.v.shape, [4, 2]);
    const uncentred = await train(pca, { num_components: 3, subtract_mean: false }, { train: three });
    assert.deepEqual(uncentred.model.data().tensors.v.shape, [4, 3]);
    // Rows span fewer directions than their number: the same 3 rows twice, or a feature that is the sum of two others.
    const twice = await file('pca-twice.csv', '1,2,3,4\n2,3,1,0\n5,5,5,1\n'.repeat(2));
    await assert.rejects(train(pca, { num_components: 3 }, { train: twice }),
      /^DegenerateDataError: pca: num_components=3 but the 6 rows seen span only 2 directions \(component 3 has variance [0-9.e-]+, where the least varied feature has 1\.87\): the components past them would be directions of chance/);
    const summed = await file('pca-summed.csv', Array.from({ length: 50 }, (_, i) => { const [a, b] = [Math.sin(i), Math.cos(3 * i)]; return `${a},${b},${a + b}`; }).join('\n') + '\n');
    await assert.rejects(train(pca, { num_components: 3 }, { train: summed, data: { labelSize: 0 } }), /span only 2 directions/);
    assert.deepEqual((await train(pca, { num_components: 2 }, { train: summed, data: { labelSize: 0 } })).model.data().tensors.v.shape, [3, 2]);
  });

  it('an empty test or validation file is refused before any training, and an empty training file without featureDim says so', async () => {
    const data = await file('plenty.csv', csv(2000, (i) => i % 2));
    const empty = await file('nothing.csv', '');
    let batches = 0;
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier', mini_batch_size: 10 },
      { train: data, test: empty, epochs: 3, onProgress: (e) => { if (e.phase === 'batch') batches++; } }), /no records in the test channel/);
    assert.equal(batches, 0, 'no batch was trained');
    for (const content of ['', '\n\n', 'a,b,c\n']) {
      const path = await file('empty-train.csv', content);
      await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: path, data: { header: content.startsWith('a') } }),
        new RegExp(`^DataError: train: no records in the training channel \\(${path.replace(/[.]/g, '\\.')}\\)$`));
    }
  });

  it('a state continues with its own hyperparameters: different ones given are an error, the trainer\'s may change', async () => {
    const data = await file('continue.csv', csv(300, (i) => i % 2));
    const first = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 4 }, { train: data, epochs: 1 });
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor', num_models: 4 }, { train: data, initialState: first.state }),
      /^HyperparameterError: train: the initial state was made with predictor_type="binary_classifier", but predictor_type="regressor" was given: a state continues with the hyperparameters it was made with/);
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier', num_models: 8 }, { train: data, initialState: first.state }),
      /made with num_models=4, but num_models=8 was given/);
    // mini_batch_size is the state's (its optimizer steps), not the trainer's.
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier', num_models: 4, mini_batch_size: 50 }, { train: data, initialState: first.state }),
      /made with mini_batch_size="auto", but mini_batch_size=50 was given/);
    const again = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 4, epochs: 2, early_stopping_patience: 5 }, { train: data, initialState: first.state });
    assert.equal(again.metrics.epochs, 2);
  });

  it('a checkpoint directory of another algorithm is refused (resume and write), never rotated away', async () => {
    const data = await file('ck.csv', csv(300, (i) => i % 2));
    const directory2 = join(directory, 'ck-dir');
    await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: data, epochs: 1, checkpoint: { directory: directory2 } });
    const { kmeans } = await import('../../lib/index.js');
    const expected = new RegExp(`checkpoint directory ${directory2.replace(/[.]/g, '\\.')} holds linear-learner checkpoints \\(.*\\), not kmeans: use another --checkpoint-dir`);
    await assert.rejects(train(kmeans, { k: 2 }, { train: data, data: { labelSize: 1 }, checkpoint: { directory: directory2 }, resume: true }), expected);
    await assert.rejects(train(kmeans, { k: 2 }, { train: data, data: { labelSize: 1 }, checkpoint: { directory: directory2, everyBatches: 1 } }), expected);
    const { readdir } = await import('node:fs/promises');
    assert.ok((await readdir(directory2)).some((name) => name.startsWith('checkpoint-')), 'the other run\'s checkpoints are still there');
  });

  it('a validation or test channel without records is an error naming it', async () => {
    const data = await file('both.csv', csv(200, (i) => i % 2));
    const empty = await file('empty.csv', '');
    const opts = { train: data, epochs: 1, data: { featureDim: 2 } };
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { ...opts, validation: empty }),
      new RegExp(`^DataError: train: no records in the validation channel \\(${empty.replace(/[.]/g, '\\.')}\\)$`));
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { ...opts, test: empty }),
      new RegExp(`^DataError: train: no records in the test channel \\(${empty.replace(/[.]/g, '\\.')}\\)$`));
    const skipped = await file('all-bad.csv', 'x,y,z\nq,r,s\n');
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { ...opts, validation: skipped, data: { featureDim: 2, onBadRecord: 'skip' } }),
      /no records in the validation channel/);
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: empty, data: { format: 'libsvm', featureDim: 2 } }),
      new RegExp(`^DataError: train: no records in the training channel \\(${empty.replace(/[.]/g, '\\.')}\\)$`));
  });

  it('a validation channel that is a named pipe is read when its turn comes (not emptied by the check); with more epochs than one read, an error', async () => {
    const data = await file('piped-train.csv', csv(200, (i) => i % 2));
    const validation = await file('piped-validation.csv', csv(100, (i) => (i + 1) % 2));
    const fromFile = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: data, validation, epochs: 1, data: { featureDim: 2 } });
    const fifo = makeFifo(join(directory, 'validation.pipe'));
    const writer = feedFifo(fifo, validation);
    try {
      const piped = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: data, validation: fifo, epochs: 1, data: { featureDim: 2 } });
      assert.deepEqual(piped.metrics.validation, fromFile.metrics.validation);
    } finally {
      writer.kill();
    }
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: data, validation: fifo, epochs: 3, data: { featureDim: 2 } }),
      new RegExp(`^DataError: train: the validation channel \\(${fifo.replace(/[.]/g, '\\.')}\\) is a pipe, which can be read once, and validation reads it every epoch: give it as a file, or train one epoch \\(--epochs 1\\)$`));
    // Stdin and streams, likewise before training (stdin trained a whole epoch, then said `no records in the validation channel (stdin)`).
    for (const [channel, named] of [['-', 'stdin'], [createReadStream(validation), 'a stream']] as const) {
      await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: data, validation: channel, epochs: 3, data: { featureDim: 2 } }),
        new RegExp(`^DataError: train: the validation channel \\(${named}\\) is a stream, which can be read once, and validation reads it every epoch: give it as a file, or train one epoch \\(--epochs 1\\)$`));
    }
  });
});
