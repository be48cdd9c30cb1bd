// `boundless produce` and `boundless train --train 'redis://...'` as whole
// processes against a real redis-server: the model trained from a stream is
// the model trained from the file; a run killed with SIGKILL mid-stream and
// resumed ends with the same model; a killed member's entries are read by
// another member; bad URLs are one clear line with the right exit status.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Random } from '../../lib/index.js';
import { packageRoot } from '../../lib/package-root.js';
import { readStoredObject } from '../../lib/state/checkpoint.js';
import { killAfterCheckpoint } from '../fixtures/kill-after-checkpoint.js';
import { freePort, RedisServer } from '../fixtures/redis-server.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Labelled CSV rows of four features from a planted linear rule. */
function csv(rows: number, seed: number): string[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: rows }, () => {
    const x = [0, 1, 2, 3].map(() => random.nextGaussian());
    return [x[0] + x[1] - x[2] + 0.5 * random.nextGaussian() > 0 ? 1 : 0, ...x.map((v) => v.toFixed(4))].join(',');
  });
}

describe('boundless produce and train from a Redis stream', function () {
  this.timeout(120_000);
  let server: RedisServer;
  let redis: Redis;
  let root: string;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    root = await mkdtemp(join(tmpdir(), 'boundless-redis-cli-'));
  });
  after(async () => {
    redis.disconnect();
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const trainArgs = (url: string, modelDir: string, ...more: string[]) => ['train', 'linear-learner', '--train', url,
    '--hp', 'predictor_type=binary_classifier', '--hp', 'num_models=4', '--epochs', '1', '--seed', '2', '--deterministic',
    '--model-dir', modelDir, ...more];

  it('produce --help shows its usage and every option', () => {
    const help = boundless('produce', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: boundless produce --to 'redis:\/\/HOST:PORT\[\/DB\]\?stream=KEY' --input <path\|-> \[options\]\n/);
    for (const option of ['--to', '--input', '--format', '--records-per-entry', '--maxlen', '--max-lag', '--end', '--job']) assert.ok(help.stdout.includes(option), option);
  });

  it('produce writes a file as entries (JSON summary); train from the stream gives the file\'s model, byte for byte, and acknowledges it all', async () => {
    const file = join(root, 'train.csv');
    await writeFile(file, 'label,a,b,c,d\n' + csv(5000, 1).join('\n') + '\n');
    const url = `${server.url}?stream=produced`;
    const produced = boundless('produce', '--to', url, '--input', file, '--header', '--records-per-entry', '64', '--end');
    assert.equal(produced.code, 0, produced.stderr);
    const summary = JSON.parse(produced.stdout);
    assert.deepEqual({ ...summary, bytes: undefined, seconds: undefined },
      { stream: url, entries: Math.ceil(5000 / 64) + 1, records: 5000, bytes: undefined, seconds: undefined, ended: true });
    const fromStream = boundless(...trainArgs(url, join(root, 'from-stream'), '--job', 'cli'));
    assert.equal(fromStream.code, 0, fromStream.stderr);
    const fromFile = boundless(...trainArgs(file, join(root, 'from-file'), '--header'));
    assert.equal(fromFile.code, 0, fromFile.stderr);
    // The same model, but for the header's names, which the file has and entries do not carry.
    const [streamed, filed] = await Promise.all(['from-stream', 'from-file'].map((dir) => readStoredObject(join(root, dir, 'model.safetensors'))));
    assert.deepEqual(filed.schema.featureNames, ['a', 'b', 'c', 'd']);
    assert.deepEqual({ ...streamed, schema: { ...streamed.schema, featureNames: undefined } }, { ...filed, schema: { ...filed.schema, featureNames: undefined } });
    assert.equal(JSON.parse(fromStream.stdout).metrics.records, 5000);
    const [count] = await redis.call('XPENDING', 'produced', 'cli') as [number];
    assert.equal(count, 0, 'every entry acknowledged once the model was written');
    // Produced without --header, the header is a record: the advice is produce's --header (train's is refused on a stream).
    const headed = `${server.url}?stream=headed`;
    assert.equal(boundless('produce', '--to', headed, '--input', file, '--end').code, 0);
    const refused = boundless(...trainArgs(headed, join(root, 'headed'), '--job', 'cli'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /entry \d+-\d+, line 1: label \(column 1\) 'label' is not a number; the first line looks like a header: a stream's entries hold records only: produce the file again with boundless produce --header/);
  });

  it('Ctrl-C while waiting for entries stops at once (status 130) with a checkpoint, and --resume trains every record once', async () => {
    const url = `${server.url}?stream=waiting`;
    await redis.call('XADD', 'waiting', '*', 'data', csv(3000, 4).join('\n'));
    const checkpoints = join(root, 'waiting-checkpoints');
    const child = spawn(process.execPath, [cli, ...trainArgs(url, join(root, 'waiting'), '--checkpoint-dir', checkpoints)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => { stderr += data; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The entry delivered (pending on the member), trained, then waiting for more: no end entry, no idle timeout.
    const pending = async () => { try { return (await redis.call('XPENDING', 'waiting', 'boundless') as [number])[0]; } catch { return 0; } };
    while (await pending() < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const signalled = Date.now();
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.ok(Date.now() - signalled < 5000, `took ${Date.now() - signalled} ms to stop`);
    assert.match(stderr, /train: interrupted; the state up to the last batch is in .*checkpoint-\d+\.safetensors: continue with the same command and --resume/);
    // The stream ends; the resumed run trains what the checkpoint did not hold, and every record counts once.
    await redis.call('XADD', 'waiting', '*', 'end', '1');
    const resumed = boundless(...trainArgs(url, join(root, 'waiting'), '--checkpoint-dir', checkpoints, '--resume'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).metrics.records, 3000);
    assert.equal(await pending(), 0, 'every entry acknowledged once the model was written');
  });

  it('--idle-timeout ends a stream that has no end entry; --job names the group', async () => {
    const file = join(root, 'idle.csv');
    await writeFile(file, csv(700, 3).join('\n') + '\n');
    const url = `${server.url}?stream=idle`;
    assert.equal(boundless('produce', '--to', url, '--input', file, '--job', 'quiet').code, 0);
    const started = Date.now();
    const trained = boundless(...trainArgs(url, join(root, 'idle-model'), '--job', 'quiet', '--idle-timeout', '0.5'));
    assert.equal(trained.code, 0, trained.stderr);
    assert.equal(JSON.parse(trained.stdout).metrics.records, 700);
    assert.ok(Date.now() - started < 15_000);
    const groups = await redis.call('XINFO', 'GROUPS', 'idle') as (string | number)[][];
    assert.deepEqual(groups.map((g) => [g[1], g[g.indexOf('pending') + 1]]), [['quiet', 0]]);
  });

  it('bad URLs and options: one line naming the URL; status 2 for the command line, 1 for an unreachable server', async () => {
    const port = await freePort();
    const cases: [string[], number, string][] = [
      [trainArgs(`redis://127.0.0.1:${port}`, join(root, 'x')), 2,
        `boundless: train: --train redis://127.0.0.1:${port}: no stream key: add ?stream=KEY (the stream's key, e.g. redis://localhost:6379?stream=events)\n`],
      [trainArgs(`redis+tls://127.0.0.1:${port}?stream=s`, join(root, 'x')), 2,
        `boundless: train: --train redis+tls://127.0.0.1:${port}?stream=s: unsupported URL scheme 'redis+tls:': an input is a path, '-', or a Redis stream (redis://HOST:PORT?stream=KEY, rediss:// for TLS)\n`],
      [trainArgs(`redis://u:secret@127.0.0.1:${port}?stream=s`, join(root, 'x')), 1,
        `boundless: redis://u:***@127.0.0.1:${port}?stream=s: cannot connect to Redis at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`],
      [['produce', '--to', `redis://127.0.0.1:${port}/events`, '--input', 'x.csv'], 2,
        `boundless: produce: --to redis://127.0.0.1:${port}/events: the path must be a database number (/0, /1, ...), got '/events'; the stream's key goes in ?stream=KEY\n`],
      [trainArgs(join(root, 'train.csv'), join(root, 'x'), '--idle-timeout', '5'), 2,
        `boundless: train: --idle-timeout applies to a redis:// training stream, and --train is ${JSON.stringify(join(root, 'train.csv'))}\n`],
      [trainArgs(`${server.url}?stream=s`, join(root, 'x'), '--validation', `${server.url}?stream=v`), 1,
        `boundless: train: the validation channel is a Redis stream (${server.url}?stream=v): only the training channel can be; give the validation data as a file\n`],
      [['predict', '--model', 'm.safetensors', '--input', `${server.url}?stream=s`], 2,
        `boundless: predict: --input ${server.url}?stream=s: only train reads a Redis stream (it acknowledges the entries once a stored state holds them); give a file, or '-' for stdin\n`],
    ];
    for (const [args, code, stderr] of cases) {
      const result = boundless(...args);
      assert.deepEqual({ code: result.code, stderr: result.stderr, stdout: result.stdout }, { code, stderr, stdout: '' }, args.join(' '));
    }
  });

  it('killed with SIGKILL mid-stream and resumed (--resume), the run ends with the uninterrupted model and leaves nothing pending', async () => {
    const rows = csv(8000, 4);
    const file = join(root, 'resume.csv');
    await writeFile(file, rows.join('\n') + '\n');
    const reference = boundless(...trainArgs(file, join(root, 'resume-reference')));
    assert.equal(reference.code, 0, reference.stderr);
    // The first half only: the run trains it, checkpointing every batch, then waits for more.
    const half = join(root, 'first-half.csv');
    await writeFile(half, rows.slice(0, 4000).join('\n') + '\n');
    const url = `${server.url}?stream=killed`;
    assert.equal(boundless('produce', '--to', url, '--input', half, '--records-per-entry', '7').code, 0);
    const checkpoints = join(root, 'resume-checkpoints');
    const args = trainArgs(url, join(root, 'resumed'), '--checkpoint-dir', checkpoints, '--checkpoint-every', '1b');
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
    assert.equal(await killAfterCheckpoint(child, checkpoints, 2, Random.fromSeed(9)), 'SIGKILL');
    const [pendingAtKill] = await redis.call('XPENDING', 'killed', 'boundless') as [number];
    assert.ok(pendingAtKill > 0, 'the killed run held entries');
    const rest = join(root, 'second-half.csv');
    await writeFile(rest, rows.slice(4000).join('\n') + '\n');
    assert.equal(boundless('produce', '--to', url, '--input', rest, '--records-per-entry', '7', '--end').code, 0);
    const resumed = boundless(...args, '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(await readFile(join(root, 'resumed', 'model.safetensors')), await readFile(join(root, 'resume-reference', 'model.safetensors')));
    const [pending] = await redis.call('XPENDING', 'killed', 'boundless') as [number];
    assert.equal(pending, 0);
  });

  it('a member killed while holding entries: another member of the job takes them over and trains on every record once', async () => {
    const rows = csv(3000, 6);
    const first = join(root, 'member-first.csv');
    await writeFile(first, rows.slice(0, 1500).join('\n') + '\n');
    const url = `${server.url}?stream=members`;
    assert.equal(boundless('produce', '--to', url, '--input', first, '--records-per-entry', '10').code, 0);
    const killed = spawn(process.execPath, [cli, ...trainArgs(`${url}&claim-after=1&consumer=a`, join(root, 'member-a'))], { stdio: 'ignore' });
    // Once member a has been delivered every entry written so far, it holds them (nothing stored: none acknowledged).
    for (let lag = -1; lag !== 0;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const groups = await redis.call('XINFO', 'GROUPS', 'members').catch(() => []) as (string | number)[][];
      lag = groups.length === 0 ? -1 : Number(groups[0][groups[0].indexOf('lag') + 1]);
    }
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    // Its heartbeat lapses claim-after (1 s) after its last beat: until then it counts as alive.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rest = join(root, 'member-rest.csv');
    await writeFile(rest, rows.slice(1500).join('\n') + '\n');
    assert.equal(boundless('produce', '--to', url, '--input', rest, '--records-per-entry', '10', '--end').code, 0);
    const survivor = boundless(...trainArgs(`${url}&claim-after=1&consumer=b`, join(root, 'member-b')));
    assert.equal(survivor.code, 0, survivor.stderr);
    assert.equal(JSON.parse(survivor.stdout).metrics.records, 3000);
    const [pending] = await redis.call('XPENDING', 'members', 'boundless') as [number];
    assert.equal(pending, 0);
  });
});
