// `boundless train --cluster … --job …` as separate processes, as on separate
// machines: a member killed with SIGKILL mid-shard loses nothing (its shard is
// taken over from the position stored with the last state it uploaded) and
// counts nothing twice; `job status` reports the records; the model is within
// the merge tolerance (0.005 AUC) of one process; option errors are one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { packageRoot } from '../../lib/package-root.js';
import { RedisServer } from '../fixtures/redis-server.js';
import { classification } from '../fixtures/classification-csv.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: packageRoot, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function member(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => { stdout += data; });
  child.stderr!.on('data', (data: Buffer) => { stderr += data; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

describe('boundless train --cluster', function () {
  this.timeout(300_000);
  let root: string;
  let data: string;
  let heldOut: string;
  let server: RedisServer;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-cluster-cli-'));
    data = join(root, 'train.csv');
    heldOut = join(root, 'held-out.csv');
    await writeFile(data, classification(11, 120000));
    await writeFile(heldOut, classification(12, 20000));
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('a member killed with SIGKILL mid-shard: the job completes, every record once, AUC within 0.005 of one process', async () => {
    const hp = ['--hp', 'predictor_type=binary_classifier', '--epochs', '2'];
    const args = (modelDir: string) => ['train', 'linear-learner', '--train', data, ...hp, '--cluster', server.url, '--job', 'killed',
      '--shard-size', '256K', '--lease', '1', '--round-timeout', '1', '--model-dir', modelDir];
    const victim = member(args(join(root, 'victim')));
    const survivor = member(args(join(root, 'survivor')));
    // Kill once the victim has had uploads merged and is reading a shard again.
    const redis = new Redis(server.port);
    let killedAt = -1;
    for (let tries = 0; tries < 3000 && killedAt < 0; tries++) {
      const members = await redis.hgetall('boundless:{killed}:members');
      const entry = Object.values(members).map((raw) => JSON.parse(raw)).find((m) => m.pid === victim.child.pid);
      if (entry && entry.records > 0 && entry.status === 'training') {
        victim.child.kill('SIGKILL');
        killedAt = Number(await redis.hget('boundless:{killed}:meta', 'round'));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    redis.disconnect();
    assert.ok(killedAt > 0, 'the victim was never seen training after a merge: nothing was tested');
    assert.equal((await victim.exited).signal, 'SIGKILL');
    const survived = await survivor.exited;
    assert.equal(survived.code, 0, survived.stderr);
    const status = boundless('job', 'status', '--cluster', server.url, '--job', 'killed');
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.records, 240000, `records after a kill at round ${killedAt}`);
    assert.equal(report.state, 'finished');
    assert.ok(Object.values(report.memberDetails as Record<string, { status: string }>).some((m) => m.status === 'lost'), status.stdout);
    const single = boundless('train', 'linear-learner', '--train', data, ...hp, '--model-dir', join(root, 'single'));
    assert.equal(single.code, 0, single.stderr);
    const auc = (dir: string) => {
      const evaluated = boundless('evaluate', '--model', join(root, dir, 'model.safetensors'), '--test', heldOut);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      return JSON.parse(evaluated.stdout).roc_auc_score as number;
    };
    const [survivorAuc, singleAuc] = [auc('survivor'), auc('single')];
    assert.ok(Math.abs(survivorAuc - singleAuc) <= 0.005, `AUC ${survivorAuc} vs ${singleAuc}`);
    // A member started after the end writes the final model and exits 0.
    const late = boundless(...args(join(root, 'late')));
    assert.equal(late.code, 0, late.stderr);
    assert.equal(JSON.parse(late.stdout).job.joinedFinished, true);
    const fetched = boundless('job', 'fetch', '--cluster', server.url, '--job', 'killed', '--model-dir', join(root, 'fetched'));
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(auc('fetched'), survivorAuc);
  });

  it('option errors are one line: --lease without --cluster, --cluster without --job, bad values, job with no action', () => {
    const train = (...extra: string[]) => boundless('train', 'pca', '--train', data, '--hp', 'num_components=2', ...extra);
    const cases: [string[], string][] = [
      [['--lease', '5'], 'boundless: train: --lease needs --cluster redis://HOST:PORT\n'],
      [['--cluster', server.url], 'boundless: train: --cluster needs --job NAME (the job to create or join)\n'],
      [['--cluster', server.url, '--job', 'x', '--lease', '0'], 'boundless: train: --lease must be a positive number of seconds, got "0"\n'],
      [['--cluster', server.url, '--job', 'x', '--lease', '0.01'], 'boundless: train: --lease must be at least 1 second (heartbeats renew it four times a lease), got "0.01"\n'],
      [['--cluster', server.url, '--job', 'x', '--deterministic'], 'boundless: train: deterministic cannot be used with a cluster job: rounds close when members arrive, which differs run to run\n'],
      [['--cluster', server.url, '--job', 'x', '--validation', data], 'boundless: train: a validation channel cannot be used with a cluster job: early stopping across members is not built yet; evaluate the fetched model with boundless evaluate\n'],
      [['--job', 'x'], `boundless: train: --job names a cluster job (with --cluster redis://HOST:PORT) or a Redis stream's consumer group (with --train redis://…?stream=KEY); --train is ${JSON.stringify(data)}\n`],
      [['--cluster', server.url, '--job', 'x', '--shard-size', '1T'], 'boundless: train: --shard-size must be a positive number of bytes (K, M, G suffixes), got "1T"\n'],
    ];
    for (const [extra, message] of cases) {
      const result = train(...extra);
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.stderr.endsWith(message), result.stderr);
    }
    // Without a subcommand, that is what is said, whatever else is missing (bare `job` said "--cluster is required").
    for (const args of [['--cluster', server.url], []]) {
      const noAction = boundless('job', ...args);
      assert.equal(noAction.code, 2);
      assert.match(noAction.stderr, /job: expected a subcommand, one of status, list, delete, fetch \(boundless job status --cluster redis:\/\/HOST:PORT --job NAME\)/);
    }
    const wrongAction = boundless('job', 'stats', 'status', '--cluster', server.url);
    assert.match(wrongAction.stderr, /job: expected one of status, list, delete, fetch, got "stats status"/);
    const unfinished = boundless('job', 'fetch', '--cluster', server.url, '--job', 'nothing-here');
    assert.equal(unfinished.code, 1);
    assert.match(unfinished.stderr, /job fetch: no job "nothing-here" under prefix "boundless:" at redis:\/\/127\.0\.0\.1:\d+/);
    const help = boundless('train', '--help');
    assert.match(help.stdout, /--cluster redis:\/\/HOST:PORT/);
  });
});
