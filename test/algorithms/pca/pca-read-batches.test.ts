// PCA reads narrow dense data in batches of 2^18 values (fewer, larger kernel calls): the
// batches the trainer hands it, and that the model does not depend on that grouping.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pca, train } from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';
import { assertSameModel } from '../../fixtures/pca-data.js';

const rows = 10_000;
const dim = 64;

/** Rows x = 5 + z·A + noise with a seeded generator: three strong directions, far from the origin. */
function csvText(): string {
  let s = 12345;
  const uniform = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const z = [4 * uniform(), 2 * uniform(), uniform()];
    lines.push(Array.from({ length: dim }, (_, j) => (5 + z[0] * Math.sin(j) + z[1] * Math.cos(j) + z[2] * ((j % 3) - 1) + 0.01 * uniform()).toFixed(5)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('pca: read batches', function () {
  this.timeout(120_000);
  let root: string;
  let csv: string;
  let libsvm: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-pca-batches-'));
    csv = join(root, 'rows.csv');
    await writeFile(csv, csvText());
    libsvm = join(root, 'rows.libsvm');
    await writeFile(libsvm, Array.from({ length: 3000 }, (_, r) => `0 ${1 + (r % 7)}:${r % 5} ${8 + (r % 3)}:1.5\n`).join(''));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  for (const mode of ['regular', 'randomized', 'frequent_directions']) {
    it(`${mode}: dense rows come in batches of ⌈2^18 / feature_dim⌉ rows, and the model equals one trained on mini_batch_size batches`, async () => {
      const hp = { num_components: 3, algorithm_mode: mode };
      const wide = await train(pca, hp, { train: csv, data: { labelSize: 0 } });
      const narrow = await train(pca, hp, { train: csv, data: { labelSize: 0, batchValues: 1 } });
      assert.equal(wide.state.scalars.batches_seen, Math.ceil(rows / 4096));
      assert.equal(narrow.state.scalars.batches_seen, Math.ceil(rows / 500));
      assert.equal(wide.state.scalars.examples_seen, rows);
      assertSameModel(wide.model.data().tensors, narrow.model.data().tensors, 1e-6, mode);
    });
  }

  it('rows asked for (data.miniBatchSize, the CLI\'s --mini-batch-size) are read as asked', async () => {
    const result = await train(pca, { num_components: 2 }, { train: csv, data: { labelSize: 0, miniBatchSize: 700 } });
    assert.equal(result.state.scalars.batches_seen, Math.ceil(rows / 700));
  });

  it('sparse rows keep mini_batch_size rows a batch', async () => {
    const result = await train(pca, { num_components: 2, feature_dim: 10 }, { train: libsvm, data: { format: 'libsvm', featureDim: 10, labelSize: 1 } });
    assert.equal(result.state.scalars.batches_seen, Math.ceil(3000 / 500));
  });

  it('randomized mode with ℓ = d (iris: 4 features) takes Ω = I and equals regular mode for every seed; revision 1 states warn', async () => {
    // R's datasets::iris (Fisher 1936, Anderson 1935; public domain), its four measurements.
    const iris = join(packageRoot, 'test', 'fixtures', 'iris.csv');
    const regular = (await train(pca, { num_components: 2 }, { train: iris, data: { labelSize: 0 } })).model.data().tensors;
    const { createBackend, denseBatch } = await import('../../../lib/index.js');
    const backend = await createBackend('cpu');
    const rowsOf = (await readFile(iris, 'utf8')).trim().split('\n').flatMap((line) => line.split(',').map(Number));
    let wrongBefore = 0;
    try {
      for (let seed = 0; seed < 8; seed++) {
        const { state, model } = await train(pca, { num_components: 2, algorithm_mode: 'randomized', seed }, { train: iris, data: { labelSize: 0 } });
        assert.equal(state.scalars.revision, 2);
        assert.deepEqual(pca.dataWarnings!(state), []);
        const t = model.data().tensors;
        for (let m = 0; m < 2; m++) {
          const [ours, exact] = [(t.explained_variance.data as Float64Array)[m], (regular.explained_variance.data as Float64Array)[m]];
          assert.ok(Math.abs(ours - exact) <= 1e-9 * exact, `seed ${seed}, component ${m}: ${ours} vs ${exact}`);
          let cosine = 0;
          for (let j = 0; j < 4; j++) cosine += (t.v.data as Float32Array)[j * 2 + m] * (regular.v.data as Float32Array)[j * 2 + m];
          assert.ok(cosine > 1 - 1e-6, `seed ${seed}, component ${m}: cos ${cosine}`);
        }
        // The same rows into a state as files written before revision 2 hold it: random signs.
        const old = pca.createState(state.hyperparameters, state.schema, backend);
        delete old.scalars.revision;
        await pca.update(old, denseBatch(Float32Array.from(rowsOf), 4), backend);
        const oldVariance = ((await pca.finalize(old, backend)).data().tensors.explained_variance.data as Float64Array)[1];
        if (Math.abs(oldVariance - (regular.explained_variance.data as Float64Array)[1]) > 1e-3 * oldVariance) wrongBefore++;
        if (seed === 0) {
          assert.throws(() => pca.merge([state, old]), { message: 'pca merge: state 1 is of revision 1, state 0 of revision 2, and their randomized ' +
            'sketches (ℓ = d) were taken with different test matrices Ω: train both with one version' });
        }
        assert.deepEqual(pca.dataWarnings!(old), ['pca: this randomized state (revision 1, written before ℓ = d sketches were taken with Ω = I) ' +
          'has ℓ = 4, as many sketch columns as features: its components are exact only where its 4 × 4 random-sign matrix is well ' +
          'conditioned, which at small d often fails. Train it again (a new state is exact here), or use algorithm_mode=regular']);
      }
    } finally {
      backend.dispose();
    }
    assert.ok(wrongBefore >= 3, `random signs gave a wrong 2nd component for ${wrongBefore} seeds of 8`);
    const narrower = await train(pca, { num_components: 2, algorithm_mode: 'randomized' }, { train: csv, data: { labelSize: 0 } });
    assert.deepEqual(pca.dataWarnings!(narrower.state), []);
  });

  it('select\'s subtract_mean takes true or false (True/False too) and refuses anything else, as train\'s --hp does', async () => {
    const { state } = await train(pca, { num_components: 2 }, { train: csv, data: { labelSize: 0 } });
    const { createBackend } = await import('../../../lib/index.js');
    const backend = await createBackend('cpu');
    try {
      const mean = async (value: unknown) => Array.from((await pca.finalize(state, backend, { subtract_mean: value } as never)).data().tensors.mean.data as Float32Array)[0];
      assert.ok(await mean('True') > 4 && await mean(true) > 4, 'centred');
      assert.equal(await mean('False'), 0);
      for (const bad of ['maybe', 1, '', 'TRUE', null]) {
        await assert.rejects(mean(bad), { name: 'RangeError', message: `pca select: subtract_mean must be true or false, got ${JSON.stringify(bad)}` });
      }
    } finally {
      backend.dispose();
    }
  });

  it('a bad batchValues is refused, named', async () => {
    await assert.rejects(train(pca, { num_components: 2 }, { train: csv, data: { labelSize: 0, batchValues: 0 } }),
      /^RangeError: readBatches: batchValues must be a positive integer, got 0$/);
  });
});
