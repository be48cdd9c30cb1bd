// DeepAR's network kernel (native/algorithms/deepar/deepar_network): the gradient of a
// window batch's loss through the projection and every LSTM layer against finite
// differences, for each likelihood; and that training steps learn a seasonal series.
import assert from 'node:assert/strict';
import { loadCoreAddon, Random } from '../../../lib/index.js';
import type { DeeparNetworkSettings, DeeparWindow } from '../../../lib/backends/native-addon.js';

const addon = loadCoreAddon();
const adam = { kind: 1, learningRate: 0.01, beta1: 0.9, beta2: 0.999, rho: 0, epsilon: 1e-8, weightDecay: 0, clipGradient: 0, rescaleGradient: 1 };

function initialParameters(settings: DeeparNetworkSettings, seed: number, scale = 0.3): Float32Array {
  const random = Random.fromSeed(seed);
  return Float32Array.from({ length: addon.deeparNetworkLayout(settings).parameters }, () => random.nextGaussian() * scale);
}

describe('deepar network kernel', () => {
  const cases: [string, number, (r: Random) => number][] = [
    ['gaussian', 0, (r) => r.nextGaussian()],
    ['student_t', 1, (r) => r.nextGaussian() * 2],
    ['negative_binomial', 2, (r) => Math.floor(r.nextFloat() * 6)],
    ['beta', 3, (r) => 0.05 + 0.9 * r.nextFloat()],
  ];
  for (const [name, likelihood, target] of cases) {
    it(`${name}: the gradient through the projection and two LSTM layers equals finite differences`, () => {
      const settings: DeeparNetworkSettings = { features: 3, cells: 3, layers: 2, likelihood, zoneout: 0, seed: 1, optimizer: adam };
      const random = Random.fromSeed(likelihood + 10);
      const T = 5, B = 2;
      const window: DeeparWindow = {
        steps: T, rows: B, inputs: Float32Array.from({ length: T * B * 3 }, () => random.nextGaussian()),
        targets: Float32Array.from({ length: T * B }, () => target(random)),
        weights: Float32Array.from({ length: T * B }, (_, i) => (i === 3 ? 0 : 1)),  // one missing value: no loss
      };
      const parameters = initialParameters(settings, 3);
      const gradient = new Float32Array(parameters.length);
      addon.deeparNetworkLoss(settings, parameters, window, gradient, 0);
      const weight = window.weights.reduce((a, b) => a + b, 0);
      // Float32 forward passes: a step of 1e-2 keeps the difference well above their rounding.
      for (let i = 0; i < parameters.length; i += 3) {
        const saved = parameters[i], h = 1e-2;
        parameters[i] = saved + h;
        const up = addon.deeparNetworkLoss(settings, parameters, window, null, 0);
        parameters[i] = saved - h;
        const down = addon.deeparNetworkLoss(settings, parameters, window, null, 0);
        parameters[i] = saved;
        const fd = (up - down) / (2 * h) / weight;
        assert.ok(Math.abs(gradient[i] - fd) < 2e-3 + 0.02 * Math.abs(fd), `${name} parameter ${i}: ${gradient[i]} vs ${fd}`);
      }
    });
  }

  it('training steps learn a seasonal series one step ahead (gaussian): the loss falls below a constant forecast\'s', async () => {
    const settings: DeeparNetworkSettings = { features: 3, cells: 16, layers: 2, likelihood: 0, zoneout: 0.1, seed: 4, optimizer: adam };
    const random = Random.fromSeed(5);
    const T = 24, B = 16, period = 12;
    const series = (start: number, t: number) => Math.sin((2 * Math.PI * (start + t)) / period) + 0.1 * random.nextGaussian();
    const makeWindow = (): DeeparWindow => {
      const inputs = new Float32Array(T * B * 3), targets = new Float32Array(T * B);
      for (let r = 0; r < B; r++) {
        const start = Math.floor(random.nextFloat() * 1000);
        let previous = series(start, -1);
        for (let t = 0; t < T; t++) {
          const value = series(start, t);
          // Teacher forcing: the previous value, and the season's position as covariates.
          inputs.set([previous, Math.sin((2 * Math.PI * (start + t)) / period), Math.cos((2 * Math.PI * (start + t)) / period)], (t * B + r) * 3);
          targets[t * B + r] = value;
          previous = value;
        }
      }
      return { steps: T, rows: B, inputs, targets, weights: new Float32Array(T * B).fill(1) };
    };
    const state = { parameters: initialParameters(settings, 6, 0.1), moment1: new Float32Array(addon.deeparNetworkLayout(settings).parameters),
      moment2: new Float32Array(addon.deeparNetworkLayout(settings).parameters), counters: new Float64Array(2) };
    const losses: number[] = [];
    for (let step = 0; step < 400; step++) {
      await addon.deeparNetworkStep(settings, state, makeWindow());
      losses.push(state.counters[1] / (T * B));
    }
    assert.equal(state.counters[0], 400);
    const late = losses.slice(-50).reduce((a, b) => a + b, 0) / 50;
    // A constant N(0, σ² = 0.5) forecast of a unit sine scores about 0.5·log(2π·0.5) + 0.5 = 1.07 a value;
    // the noise floor (σ = 0.1) is −0.88.
    assert.ok(late < 0, `mean NLL over the last 50 steps ${late} (first ${losses[0]})`);
    assert.ok(state.parameters.every(Number.isFinite));
  });
});

describe('deepar model gradient (inputs from the reservoir, embeddings)', () => {
  it('the gradient of every parameter, the embedding rows the windows use included, equals finite differences', async () => {
    const { createBackend, deepar, parseHyperparameters } = await import('../../../lib/index.js');
    const { seasonalSeries, seriesBatch } = await import('../../fixtures/series-data.js');
    const { settingsOf } = await import('../../../lib/algorithms/deepar/settings.js');
    const { reservoirOf } = await import('../../../lib/algorithms/deepar/state.js');
    const backend = await createBackend('cpu');
    for (const likelihood of ['student-T', 'negative-binomial']) {
      const hp = parseHyperparameters('deepar', deepar.hyperparameters, {
        time_freq: 'M', prediction_length: 3, context_length: 4, epochs: 1, num_cells: 4, num_layers: 2, embedding_dimension: 2,
        dropout_rate: 0, likelihood, window_reservoir_size: 16, seed: 9,
      });
      const schema = { featureDim: 0, labelSize: 0, series: true, cardinality: [3] };
      const state = deepar.createState(hp as never, schema, backend);
      const records = seasonalSeries(12, { series: 3, length: 20 }).map((r) => (likelihood === 'negative-binomial' ? { ...r, target: r.target.map(Math.round) } : r));
      await deepar.update(state, seriesBatch(records), backend);
      const s = settingsOf(hp as never, schema);
      const parameters = Float32Array.from(state.tensors.parameters.data as Float32Array);
      const slots = Uint32Array.of(0, 3, 5, 8, 11, 15);
      const gradient = new Float32Array(parameters.length);
      const { weight } = addon.deeparModelLoss(s.native, parameters, reservoirOf(state as never), slots, 0, gradient);
      const loss = () => addon.deeparModelLoss(s.native, parameters, reservoirOf(state as never), slots, 0, null).loss / weight;
      const checked = [...Array.from({ length: 40 }, (_, i) => Math.floor((i * parameters.length) / 40)),
        ...Array.from({ length: 3 * 2 }, (_, i) => s.layout.networkParameters + i)];  // the embedding table: 3 categories + the unseen row, × 2
      let embeddingsMoved = 0;
      for (const i of checked) {
        const saved = parameters[i], h = 1e-2;
        parameters[i] = saved + h;
        const up = loss();
        parameters[i] = saved - h;
        const down = loss();
        parameters[i] = saved;
        const fd = (up - down) / (2 * h);
        if (i >= s.layout.networkParameters && fd !== 0) embeddingsMoved++;
        assert.ok(Math.abs(gradient[i] - fd) < 2e-3 + 0.03 * Math.abs(fd), `${likelihood} parameter ${i}: ${gradient[i]} vs ${fd}`);
      }
      assert.ok(embeddingsMoved >= 4, 'the embeddings of the categories the windows use have a gradient');
    }
    await backend.dispose();
  });
});
