// The thread budget's scheduling (native/runtime/thread_pool.cc) under load from every side at
// once: a parallel parse (long loops of segments, on a libuv thread), k-means reductions (loops
// nested in pool chunks: trials in parallel, each splitting its own distance work) and PCA updates
// (short kernel calls that wait for a token behind the parse). Tokens are handed to waiters between
// chunks and lent by callers that sleep on other threads' chunks, so a mistake there deadlocks or
// loses work: each budget must finish, well inside the timeout, with the same bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { packageRoot } from '../../lib/package-root.js';

const script = `
  import { createHash } from 'node:crypto';
  import { createBackend, denseBatch, loadCoreAddon, parseHyperparameters, pca, readBatches } from './lib/index.js';
  const addon = loadCoreAddon();
  const backend = await createBackend('cpu');
  const d = 24;
  // ~3 MB of CSV: waves of several segments each on every budget.
  const lines = [];
  for (let r = 0; r < 12000; r++) lines.push([r % 2, ...Array.from({ length: d }, (_, j) => ((r * 31 + j * 17) % 997) / 7)].join(','));
  const csv = Buffer.from(lines.join('\\n') + '\\n');
  const parse = async () => {
    const hash = createHash('sha256');
    for await (const b of readBatches([csv], { format: 'csv', miniBatchSize: 500 })) hash.update(new Uint8Array(b.values.buffer, b.values.byteOffset, b.rows * d * 4));
    return hash.digest('hex');
  };
  // Off the event loop, and on it once the other work is under way: with no token free, the event
  // loop either hands its trials to the pool (whose chunks then nest the trials' own loops) or,
  // with one trial, runs it at once without a token, nesting loops that must not lend one.
  const reduce = async (sync, trials = 6) => {
    const points = Float32Array.from({ length: 3000 * 3 }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 5));
    const args = [points, new Float64Array(3000).fill(1.5), 3000, 3, 8, true, 100, 1e-6, trials, 12];
    const r = sync ? await new Promise((resolve) => setTimeout(() => resolve(addon.kmeansReduce(...args)), 5)) : await addon.kmeansReduceAsync(...args);
    return createHash('sha256').update(new Uint8Array(r.centers.buffer)).update(String(r.cost)).digest('hex');
  };
  const updates = async () => {
    const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 4 }), { featureDim: 64, labelSize: 0 }, backend);
    for (let b = 0; b < 60; b++) {
      const x = Float32Array.from({ length: 1000 * 64 }, (_, i) => Math.cos(i * 0.001 + b) * 3);
      await pca.update(state, denseBatch(x, 64), backend);
    }
    return createHash('sha256').update(new Uint8Array(state.tensors.cross.data.buffer)).digest('hex');
  };
  // On the event loop, while the rest runs: a loop too small to split, which runs at once without
  // a token when none is free (the thread must not pass for a token holder afterwards: it once did,
  // and later lent a token it never had, which hung the process), then one large enough to split.
  const initialize = async (alone) => {
    if (!alone) await new Promise((resolve) => setTimeout(resolve, 3));
    addon.linearLearnerInitialize(new Float32Array(10), true, 0.1, 1);
    const weights = new Float32Array(4 << 20);
    addon.linearLearnerInitialize(weights, true, 0.1, 7);
    return createHash('sha256').update(new Uint8Array(weights.buffer)).digest('hex');
  };
  const digests = [];
  for (let round = 0; round < 3; round++) digests.push(await Promise.all([parse(), reduce(false), updates(), reduce(true), parse(), initialize(false), reduce(true, 1), reduce(true, 1)]));
  // And alone, when a pool thread is free to take some of its chunks.
  for (let i = 0; i < 4; i++) digests.push(await initialize(true));
  // A reduction on the event loop while two off it hold the tokens: its trial runs at once without
  // one, and its Lloyd steps' loops (large enough for pool threads to join once a token frees)
  // must not lend the token it does not have (this hung on the first try when they did).
  const points = (n, dim) => Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 7));
  const reduction = (n, dim, k, trials) => [points(n, dim), new Float64Array(n).fill(1), n, dim, k, true, 50, 1e-9, trials, 3];
  for (let round = 0; round < 2; round++) {
    const long = addon.kmeansReduceAsync(...reduction(6000, 8, 20, 8));
    const short = addon.kmeansReduceAsync(...reduction(2000, 8, 10, 2));
    await new Promise((resolve) => setTimeout(resolve, 1));
    const r = addon.kmeansReduce(...reduction(20000, 64, 16, 1));
    await Promise.all([long, short]);
    digests.push(createHash('sha256').update(new Uint8Array(r.centers.buffer)).digest('hex'));
  }
  // A leaked or phantom token shows here (a hang comes only once the budget's are all gone). A pool
  // thread hands its token back just after its last chunk lets the caller go, so a token may still
  // be on its way back when the last call resolves (CI read 1 once): wait up to 2 s for it — a leaked
  // one never comes back.
  for (let waited = 0; addon.runtimeInfo().tokensHeld > 0 && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  const { threads, tokensHeld } = addon.runtimeInfo();
  console.log(JSON.stringify({ threads, tokensHeld, digests: digests.flat().join(' ') }));`;

function run(threads: number): { threads: number; tokensHeld: number; digests: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageRoot, env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) }, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('thread pool scheduling', function () {
  this.timeout(300_000);

  it('a parse, nested reductions and kernel calls at once finish with the same bytes on 1, 2, 3 and 5 threads', () => {
    const one = run(1);
    assert.equal(one.threads, 1);
    assert.equal(one.tokensHeld, 0);
    const digests = one.digests.split(' ');
    assert.equal(digests.length, 30);
    // Within a run, each round's parse, reduction and update gave what the first round did, and
    // the reduction on the event loop what the one off it did.
    for (let i = 8; i < 24; i++) assert.equal(digests[i], digests[i % 8]);
    assert.equal(digests[3], digests[1]);
    assert.equal(digests[7], digests[6]);
    for (let i = 24; i < 28; i++) assert.equal(digests[i], digests[5]);
    assert.equal(digests[29], digests[28]);
    for (const threads of [2, 3, 5]) assert.deepEqual(run(threads), { threads, tokensHeld: 0, digests: one.digests });
  });
});
