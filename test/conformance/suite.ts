// The conformance suite every algorithm registers into (River's
// check_estimator is the model): the same checks, run on each algorithm
// through the contract alone. An algorithm provides data, valid and invalid
// settings, and the one check only it can judge (merge quality).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, listBackends, loadState, parseHyperparameters, loadModel,
  saveState, settleState, stateFromBytes, stateToBytes, dtypeOf, tensorsEqual, snakeToCamel,
  type Algorithm, type Backend, type Batch, type DataSchema, type HyperparameterInput,
  type Model, type State, type KernelName, type KernelCount,
} from '../../lib/index.js';
import { covers } from '../../lib/backends/coverage.js';
import { withEnv } from '../fixtures/with-env.js';

export interface ConformanceSubject<A extends Algorithm> {
  algorithm: A;
  /** Valid settings the checks train with; seeded. */
  hyperparameters: HyperparameterInput;
  schema: DataSchema;
  /** Deterministic data: `count` batches drawn with `seed`. */
  batches(seed: number, count: number): Batch[];
  /** Settings that must be rejected, with the message each must give. */
  invalidHyperparameters: { input: HyperparameterInput; message: RegExp }[];
  /** Batches that update() must reject, with the message. */
  invalidBatches: { name: string; batch: Batch; message: RegExp }[];
  /** Largest absolute difference allowed between a backend's float tensors and cpu's after training. */
  backendTolerance: number;
  /**
   * Largest difference allowed between a backend's predictions and cpu's, relative to their scale
   * (default backendTolerance): GPU kernels score in float32 where cpu sums in float64.
   */
  predictionTolerance?: number;
  /**
   * Largest difference allowed between a GPU backend's state tensors and cpu's after training,
   * relative to their scale (default backendTolerance): for kernels that train in float32 on the GPU.
   */
  stateTolerance?: number;
  /**
   * The algorithm trains at the end of each pass (DeepAR's epoch: steps drawn from what the pass
   * offered): each of the checks' batches is then a whole pass, endPass after its update.
   */
  passPerBatch?: boolean;
  /**
   * What to compare across backends in place of state tensors defined only up to a symmetry, by the
   * tensor's name (the rows B of a Frequent Directions sketch, up to an orthogonal mix: BᵀB instead).
   */
  comparedTensors?(state: StateOf<A>): Record<string, Float64Array | Float32Array>;
  /** Judges a merge of shard states against the state trained on all shards. */
  checkMerge(merged: StateOf<A>, shards: StateOf<A>[], whole: StateOf<A>, backend: Backend): Promise<void>;
}

type StateOf<A extends Algorithm> = Parameters<A['update']>[0];

/** Whether the subject trains at the end of each pass (ConformanceSubject.passPerBatch), for train() below. */
let passPerBatch = false;

async function train<A extends Algorithm>(algorithm: A, state: StateOf<A>, batches: Batch[], backend: Backend): Promise<StateOf<A>> {
  for (const batch of batches) {
    await algorithm.update(state, batch, backend);
    if (passPerBatch) await algorithm.endPass?.(state, backend);
  }
  return state;
}

function assertStatesEqual(actual: State<unknown>, expected: State<unknown>, what: string): void {
  assert.deepEqual(Object.keys(actual.tensors).sort(), Object.keys(expected.tensors).sort(), `${what}: tensor names`);
  for (const name of Object.keys(expected.tensors)) {
    assert.ok(tensorsEqual(actual.tensors[name], expected.tensors[name]), `${what}: tensor '${name}' differs`);
  }
  assert.deepEqual(actual.scalars, expected.scalars, `${what}: scalars`);
  assert.deepEqual(actual.hyperparameters, expected.hyperparameters, `${what}: hyperparameters`);
}

async function predictionsOf(model: Model, batch: Batch): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(await model.predict(batch))) out[name] = Array.from(values as ArrayLike<number>);
  return out;
}

function stateBytes(state: State<unknown>): number {
  return Object.values(state.tensors).reduce((sum, t) => sum + t.data.byteLength, 0);
}

/** The largest |a − b| (NaN equal to NaN: a forecaster's gaps) and what `tolerance` allows at these values' scale. */
function difference(actual: number[], expected: number[], tolerance: number): { worst: number; allowed: number } {
  assert.equal(actual.length, expected.length, 'lengths');
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const [x, y] = [Number(actual[i]), Number(expected[i])];
    worst = Math.max(worst, Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y));
  }
  const scale = Math.max(1, ...expected.map((v) => (Number.isNaN(v) ? 0 : Math.abs(v))));
  return { worst, allowed: tolerance * scale };
}


/**
 * Every kernel the backend was called for ran where the coverage table says: on it when it implements it (fewer than
 * half of its calls on cpu by its own design), else all on cpu.
 */
function assertCountsMatchCoverage(backend: Backend): void {
  const counts = backend.counters.snapshot();
  assert.ok(Object.keys(counts).length > 0, `${backend.name}: no kernel call was counted`);
  for (const [kernel, count] of Object.entries(counts) as [KernelName, KernelCount][]) {
    if (covers(backend.name, kernel)) {
      // cpuSteps: calls the backend's kernel ran on cpu by design (k-means' seeding); most must not be.
      const { cpuSteps = 0, ...rest } = count;
      assert.deepEqual(rest, { backend: backend.name, calls: count.calls, fallbacks: 0 }, `${backend.name} runs ${kernel}`);
      assert.ok(cpuSteps < count.calls / 2, `${backend.name} ran ${cpuSteps} of ${count.calls} ${kernel} calls on cpu`);
    } else {
      assert.deepEqual(count, { backend: 'cpu', calls: count.calls, fallbacks: count.calls }, `${kernel} falls back to cpu on ${backend.name}`);
    }
  }
}

export function describeConformance<A extends Algorithm>(subject: ConformanceSubject<A>): void {
  const { algorithm } = subject;
  const hp = () => parseHyperparameters(algorithm.name, algorithm.hyperparameters, subject.hyperparameters);
  const fresh = (backend: Backend) => algorithm.createState(hp() as never, subject.schema, backend) as StateOf<A>;

  describe(`conformance: ${algorithm.name}`, function () {
    let cpu: Backend;
    let directory: string;

    before(async () => {
      passPerBatch = subject.passPerBatch === true;
      cpu = await createBackend('cpu');
      directory = await mkdtemp(join(tmpdir(), `boundless-conformance-${algorithm.name}-`));
    });
    after(async () => {
      passPerBatch = false;
      await cpu.dispose();
      await rm(directory, { recursive: true, force: true });
    });

    describe('hyperparameters', () => {
      it('fills every default and keeps the given values', () => {
        const values = hp() as Record<string, unknown>;
        assert.deepEqual(Object.keys(values).sort(), Object.keys(algorithm.hyperparameters).sort());
        for (const [name, value] of Object.entries(subject.hyperparameters)) assert.equal(values[name], value);
      });

      it('parses string values (hyperparameters.json) to the same result', () => {
        const asStrings = Object.fromEntries(Object.entries(subject.hyperparameters).map(([k, v]) => [k, String(v)]));
        assert.deepEqual(parseHyperparameters(algorithm.name, algorithm.hyperparameters, asStrings), hp());
      });

      it('accepts camelCase names in the TypeScript API', () => {
        const camel = Object.fromEntries(Object.entries(subject.hyperparameters).map(([k, v]) => [snakeToCamel(k), v]));
        assert.deepEqual(parseHyperparameters(algorithm.name, algorithm.hyperparameters, camel), hp());
      });

      it('rejects an unknown name, naming it', () => {
        assert.throws(
          () => parseHyperparameters(algorithm.name, algorithm.hyperparameters, { ...subject.hyperparameters, no_such_parameter: 1 }),
          new RegExp(`${algorithm.name}: unknown hyperparameter 'no_such_parameter'`),
        );
      });

      for (const { input, message } of subject.invalidHyperparameters) {
        it(`rejects ${JSON.stringify(input, (_, v) => (v === undefined ? "(missing)" : v))}`, () => {
          assert.throws(() => parseHyperparameters(algorithm.name, algorithm.hyperparameters, { ...subject.hyperparameters, ...input }), message);
        });
      }
    });

    describe('state', () => {
      it('round-trips through a checkpoint file: identical tensors, scalars and predictions', async () => {
        const state = await train(algorithm, fresh(cpu), subject.batches(1, 4), cpu);
        const path = join(directory, 'roundtrip.safetensors');
        await saveState(path, state);
        const loaded = await loadState(path, algorithm, cpu);
        assertStatesEqual(loaded, state, 'loaded state');
        const probe = subject.batches(99, 1)[0];
        assert.deepEqual(await predictionsOf(await algorithm.finalize(loaded, cpu), probe),
          await predictionsOf(await algorithm.finalize(state, cpu), probe));
      });

      it('loads a state file written before each tensor it lists as added (zeros in its place); no other may be missing', async () => {
        const state = await train(algorithm, fresh(cpu), subject.batches(1, 2), cpu);
        const added = algorithm.addedTensors ?? [];
        for (const name of added) assert.ok(state.tensors[name], `addedTensors names '${name}', which the state has`);
        const older = Object.fromEntries(Object.entries(state.tensors).filter(([name]) => !added.includes(name)));
        const path = join(directory, 'older.safetensors');
        await saveState(path, { ...state, tensors: older });
        const loaded = await loadState(path, algorithm, cpu);
        for (const name of added) assert.ok(Array.from(loaded.tensors[name].data as Float64Array).every((v) => v === 0), `'${name}' loads as zeros`);
        for (const name of Object.keys(older)) assert.ok(tensorsEqual(loaded.tensors[name], state.tensors[name]), `tensor '${name}'`);
        const [other] = Object.keys(older);
        const { [other]: _, ...missing } = state.tensors;
        await saveState(path, { ...state, tensors: missing });
        await assert.rejects(loadState(path, algorithm, cpu), new RegExp(`state has no tensor '${other}'`));
      });

      it('round-trips a finalized model exactly', async () => {
        const state = await train(algorithm, fresh(cpu), subject.batches(2, 3), cpu);
        const model = await algorithm.finalize(state, cpu);
        const path = join(directory, 'model.safetensors');
        await model.save(path);
        const loaded = await loadModel(path, algorithm, cpu);
        for (const [name, t] of Object.entries(model.data().tensors)) {
          assert.ok(tensorsEqual(loaded.data().tensors[name], t), `model tensor '${name}'`);
        }
        const probe = subject.batches(98, 1)[0];
        assert.deepEqual(await predictionsOf(loaded, probe), await predictionsOf(model, probe));
      });

      it('resumes after an interruption with the same result as an uninterrupted run', async () => {
        const batches = subject.batches(3, 8);
        const uninterrupted = await train(algorithm, fresh(cpu), batches, cpu);
        const path = join(directory, 'resume.safetensors');
        await saveState(path, await train(algorithm, fresh(cpu), batches.slice(0, 3), cpu));
        // The process "crashes" here: nothing survives but the checkpoint file.
        const resumed = await train(algorithm, await loadState(path, algorithm, cpu), batches.slice(3), cpu);
        assertStatesEqual(resumed, uninterrupted, 'resumed state');
      });

      it('runs updates of one state started together one at a time, in the order started: the state of one after another', async () => {
        const batches = subject.batches(12, 6);
        const sequential = fresh(cpu);
        for (const batch of batches) await algorithm.update(sequential, batch, cpu);
        const together = fresh(cpu);
        await Promise.all(batches.map((batch) => algorithm.update(together, batch, cpu)));
        assertStatesEqual(together, sequential, 'updates started together');
      });

      it('settleState and saveState take their turn after the updates started before them; updates started after wait for the write', async () => {
        const batches = subject.batches(13, 4);
        const firstTwo = fresh(cpu);
        for (const batch of batches.slice(0, 2)) await algorithm.update(firstTwo, batch, cpu);
        const state = fresh(cpu);
        const started = batches.slice(0, 2).map((batch) => algorithm.update(state, batch, cpu));
        await settleState(state);
        assertStatesEqual(state, firstTwo, 'settled after the two updates started before it');
        await Promise.all(started);
        const path = join(directory, 'turns.safetensors');
        const saved = saveState(path, state);
        const later = batches.slice(2).map((batch) => algorithm.update(state, batch, cpu));
        await Promise.all([saved, ...later]);
        assertStatesEqual(await loadState(path, algorithm, cpu), firstTwo, 'saved before the updates started after it');
      });

      it('trains incrementally on new data from a saved state', async () => {
        const first = subject.batches(4, 4);
        const second = subject.batches(5, 4);
        const bytes = stateToBytes(await train(algorithm, fresh(cpu), first, cpu));
        const later = await createBackend('cpu');
        const continued = await train(algorithm, stateFromBytes(bytes, algorithm, later), second, later);
        const together = await train(algorithm, fresh(cpu), [...first, ...second], cpu);
        assertStatesEqual(continued, together, 'incremental state');
        assert.ok(Object.values(continued.scalars).some((v) => typeof v === 'number' && v > 0), 'counters advanced');
      });

      it('keeps its memory fixed: the same tensors, the same sizes, after any number of updates', async () => {
        const state = fresh(cpu);
        const arrays = Object.fromEntries(Object.entries(state.tensors).map(([k, t]) => [k, t.data]));
        const bytes = stateBytes(state);
        await train(algorithm, state, subject.batches(6, 12), cpu);
        assert.equal(stateBytes(state), bytes);
        for (const [name, data] of Object.entries(arrays)) {
          assert.equal(state.tensors[name].data, data, `tensor '${name}' was reallocated`);
        }
        const scalarsAfterFew = JSON.stringify(state.scalars).length;
        await train(algorithm, state, subject.batches(7, 12), cpu);
        assert.ok(JSON.stringify(state.scalars).length <= scalarsAfterFew + 16, 'scalars grow with the data');
      });

      it('merges shard states: the merge of one state is that state; counters add; quality holds', async () => {
        const shardA = await train(algorithm, fresh(cpu), subject.batches(8, 12), cpu);
        const shardB = await train(algorithm, fresh(cpu), subject.batches(9, 12), cpu);
        assertStatesEqual(algorithm.merge([shardA]) as State<unknown>, shardA, 'merge of one');
        const merged = algorithm.merge([shardA, shardB]) as StateOf<A>;
        for (const [name, value] of Object.entries(shardA.scalars)) {
          if (typeof value === 'number' && /(seen|count)$/.test(name)) {
            assert.equal(merged.scalars[name], value + (shardB.scalars[name] as number), `counter '${name}'`);
          }
        }
        const whole = await train(algorithm, fresh(cpu), [...subject.batches(8, 12), ...subject.batches(9, 12)], cpu);
        await subject.checkMerge(merged, [shardA, shardB], whole, cpu);
      });
    });

    describe('bad input', () => {
      for (const { name, batch, message } of subject.invalidBatches) {
        it(`rejects ${name} with a clear error`, async () => {
          await assert.rejects(algorithm.update(fresh(cpu), batch, cpu), message);
        });
      }

      it('rejects a checkpoint of another algorithm', async () => {
        const path = join(directory, 'other.safetensors');
        const state = fresh(cpu);
        await saveState(path, { ...state, algorithm: 'not-' + algorithm.name });
        await assert.rejects(loadState(path, algorithm, cpu), new RegExp(`holds algorithm 'not-${algorithm.name}', expected '${algorithm.name}'`));
      });
    });

    describe('backends agree with cpu', () => {
      it(`within ${subject.backendTolerance} on every available backend, strict, each kernel where the coverage table says`, async function () {
        const others = (await listBackends()).filter((b) => b.available && b.name !== 'cpu');
        if (others.length === 0) this.skip();
        const batches = subject.batches(10, 5);
        const probe = subject.batches(97, 1)[0];
        const reference = await train(algorithm, fresh(cpu), batches, cpu);
        const expected = await predictionsOf(await algorithm.finalize(reference, cpu), probe);
        for (const report of others) {
          const backend = await createBackend(report.name);
          try {
            const { state, predicted } = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', async () => {
              const trained = await train(algorithm, fresh(backend), batches, backend);
              return { state: trained, predicted: await predictionsOf(await algorithm.finalize(trained, backend), probe) };
            });
            assertCountsMatchCoverage(backend);
            const compared = subject.comparedTensors;
            if (compared) {
              const [got, wanted] = [compared(state), compared(reference)];
              for (const [name, values] of Object.entries(wanted)) {
                const { worst, allowed } = difference(Array.from(got[name]), Array.from(values), subject.stateTolerance ?? subject.backendTolerance);
                assert.ok(worst <= allowed, `${report.name}: ${name} differs from cpu by ${worst} (allowed ${allowed})`);
              }
            }
            for (const [name, t] of Object.entries(reference.tensors)) {
              if (compared && name in compared(reference)) continue;  // compared above, in its stead
              const dtype = dtypeOf(t);
              const got = state.tensors[name].data;
              if (dtype === 'F32' || dtype === 'F64') {
                const { worst, allowed } = difference(Array.from(got as Float32Array), Array.from(t.data as Float32Array), subject.stateTolerance ?? subject.backendTolerance);
                assert.ok(worst <= allowed, `${report.name}: tensor '${name}' differs from cpu by ${worst} (allowed ${allowed})`);
              } else {
                assert.ok(tensorsEqual(state.tensors[name], t), `${report.name}: tensor '${name}' differs from cpu`);
              }
            }
            assert.deepEqual(state.scalars, reference.scalars, `${report.name}: scalars`);
            for (const [name, values] of Object.entries(expected)) {
              const { worst, allowed } = difference(predicted[name], values, subject.predictionTolerance ?? subject.backendTolerance);
              assert.ok(worst <= allowed, `${report.name}: prediction '${name}' differs from cpu by ${worst} (allowed ${allowed})`);
            }
          } finally {
            await backend.dispose();
          }
        }
      });
    });
  });
}
