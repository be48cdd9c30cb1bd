// Algorithm.rebaseRound: a cluster member that trained on past its upload
// moves what it learned since onto the round's merge as onto + (state − from).
// Checked against that formula on every tensor (weights caught up), and on
// what a record is: counted once.
import assert from 'node:assert/strict';
import { readBatches, type State } from '../../lib/index.js';
import '../../lib/algorithms/builtin.js';
import { getAlgorithm } from '../../lib/algorithms/registry.js';
import { parseHyperparameters } from '../../lib/algorithms/hyperparameters.js';
import { resolveBackend } from '../../lib/backends/select.js';
import { copyState } from '../../lib/distributed/state-transfer.js';
import { caughtUp, weightsKind, type LinearLearnerState } from '../../lib/algorithms/linear-learner/state.js';
import { classification } from '../fixtures/classification-csv.js';

// Factorization machines have no rebaseRound: with Adam's moments (averages, not sums) adding
// deltas cost 1–4% held-out log loss against waiting for each round (bench data of bench/workers.ts).
const cases = [
  ['linear-learner', { predictor_type: 'binary_classifier', num_models: 3 }],
] as const;

async function trainOn(name: string, state: State, seed: number, rows: number): Promise<State> {
  const algorithm = getAlgorithm(name);
  const backend = await resolveBackend('cpu');
  for await (const batch of readBatches([Buffer.from(classification(seed, rows))], { miniBatchSize: 100 })) await algorithm.update(state as never, batch, backend);
  return state;
}

/** The tensor as the merge sees it: the linear learner's weights and averages with lazy regularization caught up. */
function values(name: string, state: State, tensor: string): Float64Array {
  if (name === 'linear-learner' && (tensor === 'weights' || tensor === 'average')) {
    return Float64Array.from(caughtUp(state as LinearLearnerState, tensor === 'weights' ? weightsKind.plain : weightsKind.average).weights);
  }
  return Float64Array.from(state.tensors[tensor].data as ArrayLike<number>);
}

describe('rebaseRound (cluster members that train on past an upload)', () => {
  for (const [name, hpIn] of cases) {
    it(`${name}: onto + (state − from) for every learned and counted tensor, each record once`, async () => {
      const algorithm = getAlgorithm(name);
      const backend = await resolveBackend('cpu');
      const hp = parseHyperparameters(name, algorithm.hyperparameters, hpIn);
      const schema = { featureDim: 8, labelSize: 1, sparse: false };
      const from = await trainOn(name, algorithm.createState(hp as never, schema, backend) as State, 30, 1200);
      // The member trains on past its upload `from`; meanwhile a round merges `from` with another member's work.
      const state = await trainOn(name, copyState(from), 31, 500);
      const other = await trainOn(name, copyState(from), 32, 700);
      const onto = algorithm.mergeRound!(from as never, [copyState(from), other] as never[]) as State;
      const rebased = algorithm.rebaseRound!(from as never, state as never, onto as never) as State;
      assert.equal(rebased.scalars.examples_seen, 1200 + 700 + 500);
      for (const tensor of ['weights', 'bias', 'moment1', 'moment2', 'linear', 'factors', 'factors_m1', 'progressive_loss', 'progressive_weight']) {
        if (!rebased.tensors[tensor]) continue;
        const [r, o, s, f] = [rebased, onto, state, from].map((x) => values(name, x, tensor));
        for (let k = 0; k < r.length; k++) {
          const expected = o[k] + s[k] - f[k];
          assert.ok(Math.abs(r[k] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${tensor}[${k}]: ${r[k]} vs ${expected}`);
        }
      }
      // Unlike mergeRound's average, what the member learned since `from` is not weighed against the round.
      const averaged = algorithm.mergeRound!(from as never, [state, onto] as never[]) as State;
      const moved = (x: State) => values(name, x, name === 'linear-learner' ? 'weights' : 'linear').reduce((sum, v, k) => sum + Math.abs(v - values(name, onto, name === 'linear-learner' ? 'weights' : 'linear')[k]), 0);
      assert.ok(moved(rebased) > moved(averaged), `${moved(rebased)} vs ${moved(averaged)}`);
    });
  }
});
