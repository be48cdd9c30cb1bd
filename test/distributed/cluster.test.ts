// Cluster jobs through a real redis-server on loopback (lib/distributed/cluster/):
// members in one process share a job; every record is counted once; the merged
// model is within the merge tolerance of one process; the job survives a Redis
// restart (AOF) and runs unchanged on a 3-node Redis Cluster; finished jobs are
// fetched, listed and deleted; bad cluster input is a clear error.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
// trainOnCluster from the package's entry, as the README shows it (it was not exported).
import { readBatches, stateToBytes, train, trainOnCluster, writeStream, type ClusterOptions, type State, type TrainOptions } from '../../lib/index.js';
import '../../lib/algorithms/builtin.js';
import { getAlgorithm } from '../../lib/algorithms/registry.js';
import { modelToBytes } from '../../lib/algorithms/persistence.js';
import { deleteJob, fetchJob, jobStatus, listJobs } from '../../lib/distributed/cluster/job-admin.js';
import { RedisCluster, RedisServer, freePort } from '../fixtures/redis-server.js';
import { classification } from '../fixtures/classification-csv.js';

const binary = { predictor_type: 'binary_classifier', num_models: 4 };

describe('cluster jobs (Redis)', function () {
  this.timeout(300_000);
  let root: string;
  let data: string;
  let validation: string;
  let server: RedisServer;
  let jobs = 0;
  const options = (extra: Partial<ClusterOptions> = {}): ClusterOptions =>
    ({ url: server.url, job: `job-${jobs}`, shardBytes: 128 << 10, roundTimeout: 5, lease: 5, ...extra });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-cluster-'));
    data = join(root, 'train.csv');
    validation = join(root, 'validation.csv');
    await writeFile(data, classification(5, 30000));
    await writeFile(validation, classification(6, 5000));
    server = await RedisServer.start({ appendonly: true });
  });
  after(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => { jobs++; });

  /** Held-out metrics of a linear learner model on the validation file. */
  async function evaluate(model: unknown): Promise<Record<string, number>> {
    const evaluator = getAlgorithm('linear-learner').createEvaluator!(model as never);
    for await (const batch of readBatches(validation, { miniBatchSize: 1000, labelSize: 1 })) await evaluator.add(batch);
    return evaluator.result();
  }

  async function members(count: number, algorithm: string, hp: Record<string, unknown>, cluster: ClusterOptions, epochs = 1, extra: Partial<TrainOptions> = {}) {
    return Promise.all(Array.from({ length: count }, () => trainOnCluster(getAlgorithm(algorithm), hp,
      { train: data, epochs, data: ['linear-learner', 'factorization-machines'].includes(algorithm) ? {} : { labelSize: 0 }, ...extra }, cluster)));
  }

  it('linear learner, 2 members, 2 epochs: every record once, the same model in both, quality within the merge tolerance of one process', async () => {
    const results = await members(2, 'linear-learner', binary, options(), 2);
    const one = await train(getAlgorithm('linear-learner'), binary, { train: data, validation, epochs: 2 });
    for (const result of results) {
      assert.equal(result.metrics.records, 60000);
      assert.equal((result.state as State).scalars.examples_seen, 60000);
    }
    assert.deepEqual(modelToBytes(results[0].model), modelToBytes(results[1].model));
    const status = await jobStatus({ url: server.url }, `job-${jobs}`);
    assert.equal(status.records, 60000);
    assert.equal(status.state, 'finished');
    assert.equal(status.epoch, 2);
    // Nothing left behind: no upload's chunks, only the last round's merge.
    const redis = new Redis(server.port);
    const leftovers = await redis.keys(`boundless:{job-${jobs}}:upload:*`);
    const merges = await redis.keys(`boundless:{job-${jobs}}:state:*`);
    redis.disconnect();
    assert.deepEqual(leftovers, []);
    assert.ok(merges.every((key) => key.startsWith(`boundless:{job-${jobs}}:state:${status.round}:`)), merges.join(', '));
    // Held-out quality of the cluster's model against one process's (binary cross-entropy and accuracy).
    const [mine, theirs] = [await evaluate(results[0].model), await evaluate(one.model)];
    assert.ok(Math.abs(mine.roc_auc_score - theirs.roc_auc_score) <= 0.005, `AUC ${mine.roc_auc_score} vs ${theirs.roc_auc_score}`);
    assert.ok(mine.binary_classification_accuracy >= theirs.binary_classification_accuracy - 0.01,
      `accuracy ${mine.binary_classification_accuracy} vs ${theirs.binary_classification_accuracy}`);
  });

  for (const [algorithm, hp] of [['pca', { num_components: 2, feature_dim: 9 }], ['kmeans', { k: 3, feature_dim: 9 }]] as const) {
    it(`${algorithm}, 3 members: the merged sums hold every record once`, async () => {
      const results = await members(3, algorithm, hp, options());
      for (const result of results) assert.equal((result.state as State).scalars.examples_seen, 30000);
      assert.deepEqual(stateToBytes(results[0].state as State), stateToBytes(results[2].state as State));
    });
  }

  it('SGD members, rounds every 2 batches (the linear learner trains on past its uploads, FM waits for each round): every record once, one model, quality within the merge tolerance', async () => {
    for (const [algorithm, hp] of [['linear-learner', binary], ['factorization-machines', { predictor_type: 'binary_classifier', num_factors: 4 }]] as const) {
      jobs++;
      const results = await members(3, algorithm, hp, options({ shardBytes: 512 << 10 }), 2, { syncEvery: { batches: 2 } });
      for (const result of results) assert.equal(result.metrics.records, 60000, algorithm);
      assert.deepEqual(modelToBytes(results[0].model), modelToBytes(results[2].model));
      const status = await jobStatus({ url: server.url }, `job-${jobs}`);
      assert.equal(status.records, 60000);
      // Mid-shard rounds, not only rounds of a shard's last upload (at most one per shard and pass).
      const [rounds, shards] = [Number(status.round), (status.shards as { count: number }).count];
      assert.ok(rounds > 2 * shards, `${algorithm}: ${rounds} rounds, ${shards} shards`);
      if (algorithm === 'linear-learner') {
        const one = await train(getAlgorithm(algorithm), hp, { train: data, epochs: 2 });
        const [mine, theirs] = [await evaluate(results[0].model), await evaluate(one.model)];
        assert.ok(Math.abs(mine.roc_auc_score - theirs.roc_auc_score) <= 0.005, `AUC ${mine.roc_auc_score} vs ${theirs.roc_auc_score}`);
      }
    }
  });

  it('workers: N in one call are N members of the job, each claiming its own shards', async () => {
    const result = await trainOnCluster(getAlgorithm('linear-learner'), binary, { train: data, epochs: 1, workers: 3 }, options());
    assert.equal(result.metrics.records, 30000);
    const status = await jobStatus({ url: server.url }, `job-${jobs}`);
    const details = Object.values(status.memberDetails as Record<string, { records: number; pid: number }>);
    assert.equal(details.length, 3);
    assert.ok(details.every((m) => m.pid === process.pid && m.records > 0), JSON.stringify(details));
    assert.equal(details.reduce((n, m) => n + m.records, 0), 30000);
  });

  it('a Redis stream as the input: members read it through the job\'s consumer group, every record once, every entry acknowledged after its merge', async () => {
    const rows = (await readFile(data, 'utf8')).trimEnd().split('\n');
    const key = `stream-${jobs}`;
    await writeStream(server.url, key, rows, { recordsPerEntry: 50, end: true });
    const url = `${server.url}?stream=${key}`;
    const results = await Promise.all([0, 1].map(() => trainOnCluster(getAlgorithm('linear-learner'), binary, { train: url }, options())));
    for (const result of results) assert.equal(result.metrics.records, 30000);
    assert.deepEqual(modelToBytes(results[0].model), modelToBytes(results[1].model));
    const status = await jobStatus({ url: server.url }, `job-${jobs}`);
    assert.equal(status.records, 30000);
    assert.equal(status.epochs, 1);
    const redis = new Redis(server.port);
    const [pending] = await redis.xpending(key, `job-${jobs}`) as [number];
    const groups = await redis.xinfo('GROUPS', key) as unknown[][];
    redis.disconnect();
    assert.equal(pending, 0);
    assert.equal(groups.length, 1);
    // One group (the job's); the merged model is within the merge tolerance of one process on the file.
    const one = await train(getAlgorithm('linear-learner'), binary, { train: data, validation, epochs: 1 });
    const [mine, theirs] = [await evaluate(results[0].model), await evaluate(one.model)];
    assert.ok(Math.abs(mine.roc_auc_score - theirs.roc_auc_score) <= 0.005, `AUC ${mine.roc_auc_score} vs ${theirs.roc_auc_score}`);
    await assert.rejects(trainOnCluster(getAlgorithm('linear-learner'), binary, { train: url, epochs: 3 }, options({ job: 'other' })),
      { message: 'train: epochs 3 on a Redis stream cannot be used with a cluster job: a stream is read once' });
  });

  it('a member that joins a finished job gets its final model and state; fetch writes the same bytes; list and delete manage it', async () => {
    const [first] = await members(1, 'pca', { num_components: 2, feature_dim: 9 }, options());
    const late = await trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } }, options());
    assert.equal(late.job.joinedFinished, true);
    assert.deepEqual(modelToBytes(late.model), modelToBytes(first.model));
    const fetched = await fetchJob({ url: server.url }, `job-${jobs}`, join(root, 'fetched'));
    assert.ok(Buffer.compare(await readFile(fetched.model as string), modelToBytes(first.model)) === 0, 'fetched model bytes');
    assert.ok((await listJobs({ url: server.url })).some((j) => j.job === `job-${jobs}` && j.state === 'finished' && j.records === 30000));
    const deleted = await deleteJob({ url: server.url }, `job-${jobs}`);
    assert.ok(deleted.deletedKeys > 3);
    await assert.rejects(jobStatus({ url: server.url }, `job-${jobs}`), { message: `job status: no job "job-${jobs}" under prefix "boundless:" at ${server.url}` });
  });

  it('a member with other hyperparameters, or another package version, is refused naming the difference', async () => {
    const cluster = options();
    await members(1, 'pca', { num_components: 2, feature_dim: 9 }, cluster);
    await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 3, feature_dim: 9 }, { train: data, data: { labelSize: 0 } }, cluster),
      { message: `train: job job-${jobs} is defined differently — hyperparameters.num_components: the job has 2, this member 3. Start this member with the job's settings, name another --job, or delete the job (boundless job delete --job job-${jobs}) to start it over` });
    // A field that is not the option's name says which option: shards come from --shard-size.
    await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } },
      { ...cluster, shardBytes: 65536 }),
    /— shards: the job has \d+, this member \d+ \(the shards --shard-size cuts the input into\)\. Start this member/);
    const redis = new Redis(server.port);
    const key = `boundless:{job-${jobs}}:spec`;
    await redis.set(key, (await redis.get(key))!.replace(/"version":"[^"]*"/, '"version":"0.0.1"'));
    redis.disconnect();
    await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } }, cluster),
      /^Error: train: job job-\d+ was started by boundless-ml 0\.0\.1; this member is \d+\.\d+\.\d+: members of different versions refuse each other$/);
  });

  it('a corrupt stored state is an error naming it, as a corrupt checkpoint is', async () => {
    const cluster = options({ shardBytes: 64 << 10 });
    const redis = new Redis(server.port);
    try {
      // A job put back under way after its passes, its stored merge overwritten: a member joining reads it.
      await members(1, 'pca', { num_components: 2, feature_dim: 9 }, { ...cluster, job: `job-${jobs}-whole` });
      const meta = await redis.hgetall(`boundless:{job-${jobs}-whole}:meta`);
      await redis.hset(`boundless:{job-${jobs}-whole}:meta`, 'status', 'training', 'epoch', '0');
      await redis.set(`boundless:{job-${jobs}-whole}:state:${meta.round}:0`, Buffer.from('not a state at all, just bytes'));
      await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } },
        { ...cluster, job: `job-${jobs}-whole` }), /cluster job job-\d+-whole: the merged state of round \d+: .*\(a corrupt or foreign stored state: delete the job with boundless job delete and start again\)/);
    } finally {
      redis.disconnect();
    }
  });

  it('bad cluster input: a wrong URL, an unreachable server, options a member cannot take', async () => {
    const pca = getAlgorithm('pca');
    const run = (cluster: Partial<ClusterOptions>, extra: Record<string, unknown> = {}) =>
      trainOnCluster(pca, { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 }, ...extra }, { ...options(), ...cluster });
    await assert.rejects(run({ url: 'http://127.0.0.1:6379' }), { message: '--cluster http://127.0.0.1:6379: not a Redis URL: expected redis://[USER:PASS@]HOST:PORT[/DB] (or rediss:// for TLS)' });
    await assert.rejects(run({ url: 'redis://127.0.0.1:6379/x' }), { message: "--cluster redis://127.0.0.1:6379/x: the path must be a database number (/0, /1, ...), got '/x' (a job's server is redis://HOST:PORT[/DB])" });
    const closed = await freePort();
    await assert.rejects(run({ url: `redis://127.0.0.1:${closed}` }), new RegExp(`^Error: cannot reach Redis at redis://127\\.0\\.0\\.1:${closed} \\(--cluster\\): .*ECONNREFUSED`));
    await assert.rejects(run({ job: 'no spaces' }), { message: '--job must be 1 to 100 letters, digits, \'.\', \'_\' or \'-\', got "no spaces"' });
    await assert.rejects(run({}, { validation }), { message: 'train: a validation channel cannot be used with a cluster job: early stopping across members is not built yet; evaluate the fetched model with boundless evaluate' });
    await assert.rejects(run({}, { train: '-' }), { message: 'train: stdin or an in-process stream cannot be used with a cluster job: members split files (a list, a directory or a glob)' });
    // A path that names a stream (a named pipe, /dev/stdin, a device) cannot be cut into shards either.
    await assert.rejects(run({}, { train: '/dev/null' }), { message: 'train: /dev/null, a stream (a named pipe, /dev/stdin, a process substitution), cannot be used with a cluster job: members split files (a list, a directory or a glob)' });
  });

  it('an error of the data fails the job: status says so, and a member joining later is refused with it', async () => {
    const oneClass = join(root, 'one-class.csv');
    await writeFile(oneClass, (await readFile(data, 'utf8')).replace(/^0,/gm, '1,'));
    const cluster = options();
    await assert.rejects(trainOnCluster(getAlgorithm('linear-learner'), binary, { train: oneClass, epochs: 1 }, cluster), { name: 'DegenerateDataError' });
    const status = await jobStatus({ url: server.url }, `job-${jobs}`);
    assert.equal(status.state, 'failed');
    assert.match(String(status.error), /held only rows of class 1/, JSON.stringify(status));
    await assert.rejects(trainOnCluster(getAlgorithm('linear-learner'), binary, { train: oneClass, epochs: 1 }, cluster),
      new RegExp(`^Error: train: job job-${jobs} failed: .*held only rows of class 1.*\\(member [^)]+\\); fix the cause, then delete the job \\(boundless job delete --job job-${jobs}\\) to start it over$`, 'i'));
    await assert.rejects(fetchJob({ url: server.url }, `job-${jobs}`, join(root, 'never')),
      new RegExp(`^Error: job fetch: job job-${jobs} failed, so it has no model: .*held only rows of class 1.*\\(member [^)]+\\)$`));
  });

  it('Redis gone for longer than the reconnect window: an error naming the server, not a bare "Connection is closed."', async () => {
    const gone = await RedisServer.start();
    const running = trainOnCluster(getAlgorithm('linear-learner'), binary, { train: data, epochs: 20, syncEvery: { batches: 1 } },
      { ...options({ url: gone.url }), reconnectSeconds: 1 });
    const redis = new Redis(gone.port);
    redis.on('error', () => undefined);
    while (Number(await redis.hget(`boundless:{job-${jobs}}:meta`, 'round')) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    redis.disconnect();
    await gone.close();
    await assert.rejects(running, new RegExp(`^Error: --cluster ${gone.url.replace(/[.]/g, '\\.')}: Redis is unreachable: the connection was lost and not restored within 1 s \\(Connection is closed\\.\\)$`));
  });

  it('a file that changes while the job runs fails the job, naming the file: its shards would be read from other rows', async () => {
    const changing = join(root, 'changing.csv');
    await writeFile(changing, classification(7, 30000));
    const running = trainOnCluster(getAlgorithm('linear-learner'), binary, { train: changing, epochs: 3, syncEvery: { batches: 1 } }, options({ shardBytes: 64 << 10 }));
    const redis = new Redis(server.port);
    while (Number(await redis.hget(`boundless:{job-${jobs}}:meta`, 'round')) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    redis.disconnect();
    await writeFile(changing, classification(8, 1000), { flag: 'a' });
    await assert.rejects(running, (error: Error) => /changing\.csv: the file changed while the job ran: the job has \d+ bytes, the file now \d+/.test(error.message));
    assert.equal((await jobStatus({ url: server.url }, `job-${jobs}`)).state, 'failed');
  });

  it('a database the server lacks and a shard too small are errors, not database 0 and a job that seems to hang', async () => {
    await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } },
      options({ url: `${server.url}/16` })), { message: `--cluster ${server.url}/16: database 16: ERR DB index is out of range (the server's \`databases\` setting bounds it)` });
    await assert.rejects(trainOnCluster(getAlgorithm('pca'), { num_components: 2, feature_dim: 9 }, { train: data, data: { labelSize: 0 } },
      options({ shardBytes: 1 })), { message: 'train: shard size must be an integer of at least 65536 bytes, got 1' });
  });

  it('Redis restarted mid-job (AOF on): members reconnect and finish; every record once', async () => {
    const cluster = options({ shardBytes: 64 << 10 });
    const redis = new Redis(server.port);
    redis.on('error', () => undefined);
    const running = members(2, 'linear-learner', binary, cluster);
    const key = `boundless:{job-${jobs}}:meta`;
    while (Number(await redis.hget(key, 'round')) < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await server.restart();
    redis.disconnect();
    const results = await running;
    for (const result of results) assert.equal(result.metrics.records, 30000);
    assert.equal((await jobStatus({ url: server.url }, `job-${jobs}`)).records, 30000);
  });

  it('a 3-node Redis Cluster runs the same job unchanged (one job\'s keys share a hash tag, so one slot)', async () => {
    const redisCluster = await RedisCluster.start();
    try {
      const cluster = { ...options(), url: redisCluster.url };
      const results = await members(2, 'linear-learner', binary, cluster);
      for (const result of results) assert.equal(result.metrics.records, 30000);
      const status = await jobStatus({ url: redisCluster.url }, `job-${jobs}`);
      assert.equal(status.records, 30000);
      assert.ok((await listJobs({ url: redisCluster.url })).some((j) => j.job === `job-${jobs}`));
      assert.ok((await deleteJob({ url: redisCluster.url }, `job-${jobs}`)).deletedKeys > 3);
    } finally {
      await redisCluster.close();
    }
  });
});
