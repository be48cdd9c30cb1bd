// K-means on degenerate data: k above the number of distinct rows seen is an error naming both
// (scikit-learn: "n_samples=3 should be >= n_clusters=5"), from the API, `train` and `select`
// alike; the count is exact in fixed memory because centres start only on rows that differ from
// every centre, so duplicate centres are never returned.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, denseBatch, kmeans, parseHyperparameters, type Backend, type Batch, type KmeansState } from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';
import { toSparse } from '../../fixtures/linear-data.js';

let backend: Backend;

function stateFor(hp: Record<string, unknown>, dim = 2): KmeansState {
  return kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, hp), { featureDim: dim, labelSize: 0 }, backend);
}

async function fit(state: KmeansState, batches: Batch[]): Promise<KmeansState> {
  for (const batch of batches) await kmeans.update(state, batch, backend);
  return state;
}

/** A dense batch of the given 2-d points. */
const rows = (...points: number[][]) => denseBatch(Float32Array.from(points.flat()), 2);
const repeat = (point: number[], times: number) => Array.from({ length: times }, () => point);
const tooFew = (k: number, distinct: number) =>
  `kmeans: k=${k} but only ${distinct} distinct row${distinct === 1 ? '' : 's'} seen; k must be at most the number of distinct rows ` +
  `(as scikit-learn: n_samples=${distinct} should be >= n_clusters=${k})`;
const filled = (state: KmeansState) => (state.tensors.counters.data as Float64Array)[1];

describe('kmeans with fewer distinct rows than k', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  for (const init of ['random', 'kmeans++']) {
    for (const kind of ['dense', 'sparse']) {
      it(`refuses k = 5 for 3 rows and k = 3 for 100 identical rows, naming the distinct rows (${init}, ${kind})`, async () => {
        const sparse = (b: Batch) => (kind === 'sparse' ? toSparse(b) : b);
        const three = await fit(stateFor({ k: 5, init_method: init }), [sparse(rows([0, 0], [1, 1], [5, 5]))]);
        await assert.rejects(async () => kmeans.finalize(three, backend), (e: Error) => e.message === tooFew(5, 3));
        const same = await fit(stateFor({ k: 3, init_method: init }), [sparse(rows(...repeat([2, 3], 60))), sparse(rows(...repeat([2, 3], 40)))]);
        assert.equal(filled(same), 1);
        await assert.rejects(async () => kmeans.finalize(same, backend), (e: Error) => e.message === tooFew(3, 1));
        const one = await kmeans.finalize(same, backend, { k: 1 });
        assert.deepEqual(Array.from(one.centers), [2, 3]);
        assert.deepEqual(Array.from(one.data().tensors.cluster_weights.data as Float64Array), [100]);
      });
    }
  }

  it('compares sparse rows with centres at their own entries: explicit zeros and −0 are 0, a subset of a centre\'s entries is another row', async () => {
    // Rows (each a list of [index, value] entries): (0, 0) three ways, (1, 0), (1, 1), and (1, 0) again with an explicit 0.
    const entries: [number, number][][] = [[], [[1, 0]], [[0, -0]], [[0, 1]], [[0, 1], [1, 1]], [[0, 1], [1, 0]]];
    const indptr = Int32Array.from([0, ...entries.map((_, r) => entries.slice(0, r + 1).flat().length)]);
    const batch: Batch = {
      kind: 'sparse', rows: entries.length, cols: 2, indptr,
      indices: Uint32Array.from(entries.flat().map(([j]) => j)), values: Float32Array.from(entries.flat().map(([, v]) => v)),
    };
    const state = await fit(stateFor({ k: 4 }), [batch]);
    assert.equal(filled(state), 3, 'three distinct rows: (0, 0), (1, 0), (1, 1)');
    await assert.rejects(async () => kmeans.finalize(state, backend), (e: Error) => e.message === tooFew(4, 3));
  });

  it('counts distinct rows exactly across batches: a duplicate-filled first batch does not use up the centres', async () => {
    // Before: the first batch's 50 copies of a filled every centre, b's rows then pulled one onto
    // the mean of a and b, and k = 3 returned a centre at no data point.
    const state = await fit(stateFor({ k: 3 }), [rows(...repeat([1, 1], 50)), rows(...repeat([9, 1], 30), ...repeat([1, 1], 20))]);
    assert.equal(filled(state), 2);
    await assert.rejects(async () => kmeans.finalize(state, backend), (e: Error) => e.message === tooFew(3, 2));
    const model = await kmeans.finalize(state, backend, { k: 2 });
    const centres = [Array.from(model.centers.subarray(0, 2)), Array.from(model.centers.subarray(2, 4))];
    const weights = Array.from(model.data().tensors.cluster_weights.data as Float64Array);
    const order = centres[0][0] < centres[1][0] ? [0, 1] : [1, 0];
    assert.deepEqual(order.map((i) => centres[i]), [[1, 1], [9, 1]]);
    assert.deepEqual(order.map((i) => weights[i]), [70, 30]);
    assert.deepEqual((await kmeans.costCurve(state, [1, 2])).map((c) => c.k), [1, 2]);
    await assert.rejects(async () => kmeans.costCurve(state, [3]), (e: Error) => e.message === tooFew(3, 2));
  });

  it('merges shards that saw the same rows into their distinct union', async () => {
    const a = await fit(stateFor({ k: 4 }), [rows([0, 0], [1, 0], [0, 0])]);
    const b = await fit(stateFor({ k: 4 }), [rows([1, 0], [2, 2], [1, 0], [1, 0])]);
    const merged = kmeans.merge([a, b]);
    assert.equal(filled(merged), 3);
    await assert.rejects(async () => kmeans.finalize(merged, backend), (e: Error) => e.message === tooFew(4, 3));
    const weights = Array.from(merged.tensors.center_weights.data as Float64Array).slice(0, 3);
    assert.deepEqual(weights, [2, 4, 1]);
  });

  it('asks for k within the K weighted centres once the data has more distinct rows than that', async () => {
    const many = Array.from({ length: 200 }, (_, i) => [i % 17, Math.floor(i / 17)]);
    const state = await fit(stateFor({ k: 2, extra_center_factor: 3 }), [rows(...many)]);
    assert.equal(filled(state), 6);
    assert.equal((await kmeans.finalize(state, backend, { k: 6 })).k, 6);
    await assert.rejects(async () => kmeans.finalize(state, backend, { k: 7 }),
      (e: Error) => e.message === 'kmeans: k=7 but the state holds 6 weighted centres (k × extra_center_factor); k must be at most 6');
  });

  it('fails `train` and `select --k` with the same one-line error and exit code 1', async () => {
    const root = await mkdtemp(join(tmpdir(), 'boundless-kmeans-distinct-'));
    try {
      await writeFile(join(root, 'three.csv'), '0,0\n1,1\n5,5\n');
      await writeFile(join(root, 'same.csv'), '4,2\n'.repeat(100));
      const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });
      const errorLine = (result: ReturnType<typeof cli>) => {
        assert.equal(result.status, 1, result.stderr);
        const lines = result.stderr.split(/[\r\n]+/).filter((l) => l.startsWith('boundless:'));
        assert.equal(lines.length, 1, result.stderr);
        return lines[0];
      };
      assert.equal(errorLine(cli('train', 'kmeans', '--train', 'three.csv', '--hp', 'k=5', '--model-dir', 'five')), `boundless: ${tooFew(5, 3)}`);
      assert.equal(errorLine(cli('train', 'kmeans', '--train', 'same.csv', '--hp', 'k=3', '--model-dir', 'same')), `boundless: ${tooFew(3, 1)}`);
      assert.equal(cli('train', 'kmeans', '--train', 'three.csv', '--hp', 'k=2', '--model-dir', 'two').status, 0);
      assert.equal(errorLine(cli('select', '--state', 'two/state.safetensors', '--k', '5', '--model-dir', 'five')), `boundless: ${tooFew(5, 3)}`);
      assert.equal(cli('select', '--state', 'two/state.safetensors', '--k', '3', '--model-dir', 'three').status, 0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
