// K-means on sparse, high-dimensional rows must cost what the rows hold, not what dim is, per
// batch: the update's scratch is reused, never allocated per batch (at 10^5 features and more it
// was megabytes zeroed and faulted in per chunk per batch). These tests hold the results to the
// bytes of the implementation before that change, on 1 and 2 threads, and count the page faults
// of batches at two million features.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { packageRoot } from '../../../lib/package-root.js';

// sha256 of the states and models below as computed without the reused scratch: main at c915cc9
// with its distances made float64 (the extreme-values fix, branch robust at afd5a77, which changed
// them from the float32 ones), with BOUNDLESS_NUM_THREADS=1 and 2 alike.
const previous = {
  sparse: '14dc4fb09218adc379229e1fcc90c60ef1790e0af1c98bbeb2e254ce281b5073',
  sparsePlusHalfLife: '44b8d4e1280eea3e6ef8c67826bc6a55d030767cdb8e2e68a4abaff3a4d46cb3',
  dense: '07ed0ca76543353590ddcc37040b9a744ab4aa16f44f28cad908ffdb6034739e',
  densePlusHalfLife: 'c06e7da6b381bd1c7351f134c8a8cd12f9717a2d4dfbe7c90e7d8df2566df084',
};

// 30 batches of 150 rows per case: the streaming centres fill, the refined model starts (1,000
// rows) and takes a second candidate (4,000 rows); k-means++ and forgetting in two of the cases.
const fingerprint = `  import { createHash } from 'node:crypto';
  import { createBackend, denseBatch, kmeans, loadCoreAddon, parseHyperparameters, Random } from './lib/index.js';
  const backend = await createBackend('cpu');
  const out = {};
  // Sparse rows around 6 sparse prototypes in 4000 features; one batch in three weighted, one row in
  // fifty with its indices unordered and repeated (the exact path).
  function sparseBatch(random, rows, dim) {
    const indptr = new Int32Array(rows + 1), indices = [], values = [];
    for (let r = 0; r < rows; r++) {
      const proto = Math.floor(random.nextFloat() * 6);
      const odd = r % 50 === 7;
      const chosen = new Set();
      for (let e = 0; e < 12; e++) chosen.add((proto * 577 + e * 31 + (random.nextFloat() < 0.3 ? Math.floor(random.nextFloat() * dim) : 0)) % dim);
      let list = [...chosen].sort((a, b) => a - b);
      if (odd) list = [...list.reverse(), list[0]];
      for (const j of list) { indices.push(j); values.push(1 + proto + random.nextGaussian() * 0.5); }
      indptr[r + 1] = indices.length;
    }
    return { kind: 'sparse', rows, cols: dim, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(values) };
  }
  function denseRows(random, rows, d) {
    const x = new Float32Array(rows * d);
    for (let i = 0; i < x.length; i++) x[i] = ((Math.floor(i / d) * 7) % 5) * 3 + random.nextGaussian();
    return denseBatch(x, d);
  }
  const cases = {
    sparse: { dim: 4000, make: sparseBatch, hp: { k: 4, extra_center_factor: 5, seed: 3 } },
    sparsePlusHalfLife: { dim: 4000, make: sparseBatch, hp: { k: 4, extra_center_factor: 5, seed: 4, init_method: 'kmeans++', half_life_time_size: 1500 } },
    dense: { dim: 8, make: denseRows, hp: { k: 5, extra_center_factor: 4, seed: 5 } },
    densePlusHalfLife: { dim: 8, make: denseRows, hp: { k: 5, extra_center_factor: 4, seed: 6, init_method: 'kmeans++', half_life_time_size: 900 } },
  };
  for (const [name, c] of Object.entries(cases)) {
    const hash = createHash('sha256');
    const add = (a) => hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const random = Random.fromSeed(17);
    const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, c.hp), { featureDim: c.dim, labelSize: 0 }, backend);
    for (let b = 0; b < 30; b++) {
      const batch = c.make(random, 150, c.dim);
      if (b % 3 === 1) batch.weights = Float32Array.from({ length: batch.rows }, (_, r) => 0.5 + (r % 4));
      await kmeans.update(state, batch, backend);
    }
    // The tensors the previous implementation had (batch_order came later, and only measures the order of the rows).
    for (const [name, t] of Object.entries(state.tensors)) if (name !== 'batch_order') add(t.data);
    const m = (await kmeans.finalize(state, backend)).data();
    for (const t of Object.values(m.tensors)) add(t.data);
    hash.update(JSON.stringify(m.scalars));
    out[name] = hash.digest('hex');
  }
  console.log(JSON.stringify({ threads: loadCoreAddon().runtimeInfo().threads, ...out }));
`;

// Two million features, 4 streaming centres: the old update allocated 64 MB of sums per batch
// (about 16,000 pages faulted in each time). Batches 20 to 60 hold no candidate reduction (those
// come at 200, 800 and 3,200 rows), so what they fault in is the update's own.
const faults = `
  import { createBackend, kmeans, parseHyperparameters, Random } from './lib/index.js';
  const backend = await createBackend('cpu');
  const dim = 2_000_000, random = Random.fromSeed(5);
  const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2, extra_center_factor: 2 }),
    { featureDim: dim, labelSize: 0 }, backend);
  const batch = () => {
    const rows = 50, indptr = new Int32Array(rows + 1), indices = new Uint32Array(rows * 5), values = new Float32Array(rows * 5);
    for (let r = 0; r < rows; r++) {
      const base = Math.floor(random.nextFloat() * (dim - 10));
      for (let e = 0; e < 5; e++) { indices[r * 5 + e] = base + 2 * e; values[r * 5 + e] = 1 + random.nextFloat(); }
      indptr[r + 1] = (r + 1) * 5;
    }
    return { kind: 'sparse', rows, cols: dim, indptr, indices, values };
  };
  for (let b = 0; b < 20; b++) await kmeans.update(state, batch(), backend);
  const before = process.resourceUsage().minorPageFault;
  for (let b = 20; b < 60; b++) await kmeans.update(state, batch(), backend);
  console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - before }));`;

function run(script: string, threads: number): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageRoot, env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) }, encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('kmeans updates on sparse, wide rows', function () {
  this.timeout(120_000);

  it('give the previous implementation\'s states and models to the byte, on 1 and 2 threads', () => {
    assert.deepEqual(run(fingerprint, 1), { threads: 1, ...previous });
    assert.deepEqual(run(fingerprint, 2), { threads: 2, ...previous });
  });

  it('fault in no dim-sized scratch per batch', function () {
    if (process.platform !== 'linux') this.skip();  // minor page faults are counted on Linux
    const { faults: count } = run(faults, 2) as { faults: number };
    assert.equal(typeof count, 'number');
    // 40 batches of the old update: over 600,000 faults; reused scratch: the batches' own few (the
    // first touch of a page of each dim-sized state array a row lands in: the centres', and the order
    // moments' sums and recent sums, about 1,500 each).
    assert.ok(count < 7000, `40 batches faulted in ${count} pages`);
  });
});
