// `boundless train --workers N`: killed with SIGKILL mid-run, --resume ends
// with the uninterrupted run's model, byte for byte (--deterministic merges
// every N batches, so rounds fall at the same batches); option errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../lib/index.js';
import { packageRoot } from '../../lib/package-root.js';
import { killAfterCheckpoint } from '../fixtures/kill-after-checkpoint.js';
import { feedFifo, makeFifo, quietWriter, releaseReaders } from '../fixtures/named-pipe.js';
import { closeSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/** The child's exit and output; SIGKILL after `ms` (a run that waits forever ends the test rather than hanging it). */
function ended(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; late: boolean }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk; });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk; });
  let late = false;
  const timer = setTimeout(() => { late = true; child.kill('SIGKILL'); }, ms);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr, late });
  }));
}

const cli = join(packageRoot, 'dist', 'cli', 'main.js');

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: packageRoot, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function classification(seed: number, rows: number): string {
  const random = Random.fromSeed(seed);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const x = [random.nextGaussian(), random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
    lines.push([x[0] - 2 * x[1] + x[3] + random.nextGaussian() > 0 ? 1 : 0, ...x.map((v) => v.toFixed(4))].join(','));
  }
  return lines.join('\n') + '\n';
}

describe('boundless train --workers', function () {
  this.timeout(300_000);
  let root: string;
  let data: string;
  /** Three times the rows, for PCA's one pass (it takes no second epoch) to make as many rounds as three epochs of `data`. */
  let triple: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-workers-cli-'));
    data = join(root, 'train.csv');
    await writeFile(data, classification(3, 20000));
    triple = join(root, 'train-triple.csv');
    await writeFile(triple, classification(3, 60000));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  for (const algorithm of ['linear-learner', 'pca']) {
    it(`${algorithm}: killed with SIGKILL mid-run, --resume ends with the uninterrupted model, byte for byte`, async () => {
      const hp = algorithm === 'pca' ? ['--hp', 'num_components=2', '--label-size', '0'] : ['--hp', 'predictor_type=binary_classifier', '--hp', 'num_models=4'];
      const [input, epochs] = algorithm === 'pca' ? [triple, '1'] : [data, '3'];
      const args = (modelDir: string, checkpoints: string) => ['train', algorithm, '--train', input, ...hp, '--seed', '2', '--epochs', epochs,
        '--mini-batch-size', '64', '--workers', '2', '--sync-every', '2', '--deterministic',
        '--model-dir', modelDir, '--checkpoint-dir', checkpoints, '--checkpoint-every', '4b'];
      const reference = boundless(...args(join(root, `${algorithm}-reference`), join(root, `${algorithm}-reference-checkpoints`)));
      assert.equal(reference.code, 0, reference.stderr);
      const expected = await readFile(join(root, `${algorithm}-reference`, 'model.safetensors'));
      const random = Random.fromSeed(7);
      for (let run = 0; run < 2; run++) {
        const modelDir = join(root, `${algorithm}-run-${run}`);
        const checkpoints = join(root, `${algorithm}-run-${run}-checkpoints`);
        const child = spawn(process.execPath, [cli, ...args(modelDir, checkpoints)], { cwd: packageRoot, stdio: 'ignore' });
        // Checkpoints come every round (about 235 in the run): kill after a random number of them.
        const target = 3 + Math.floor(random.nextFloat() * 100);
        const signal = await killAfterCheckpoint(child, checkpoints, target, random);
        assert.equal(signal, 'SIGKILL', `run ${run} finished before the kill (after checkpoint ${target}): nothing was tested`);
        const resumed = boundless(...args(modelDir, checkpoints), '--resume');
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.ok(Buffer.compare(await readFile(join(modelDir, 'model.safetensors')), expected) === 0, `run ${run} (killed after checkpoint ${target})`);
      }
    });
  }

  it('resuming with another number of workers, or one worker, is refused with the count to use', async () => {
    const checkpoints = join(root, 'count-checkpoints');
    const args = ['train', 'linear-learner', '--train', data, '--hp', 'predictor_type=binary_classifier', '--mini-batch-size', '64',
      '--model-dir', join(root, 'count-model'), '--checkpoint-dir', checkpoints, '--checkpoint-every', '4b', '--sync-every', '2'];
    const child = spawn(process.execPath, [cli, ...args, '--workers', '2', '--epochs', '50'], { cwd: packageRoot, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let names: string[] = []; names.filter((n) => n.startsWith('checkpoint-')).length < 2 && child.exitCode === null;) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      names = await readdir(checkpoints).catch(() => []);
    }
    child.kill('SIGKILL');
    await exited;
    const three = boundless(...args, '--workers', '3', '--epochs', '50', '--resume');
    assert.equal(three.code, 1);
    assert.match(three.stderr, /written by 2 data-parallel workers in the middle of an epoch: resume with 2 workers \(--workers 2/);
    assert.doesNotMatch(three.stderr, /resumed from/, 'a refused resume does not say it resumed');
    // One worker takes no --sync-every (nothing to merge: a usage error of its own).
    const one = boundless(...args.slice(0, -2), '--epochs', '50', '--resume');
    assert.equal(one.code, 1);
    assert.match(one.stderr, /resume with 2 workers \(--workers 2/);
  });

  it('a --checkpoint-every finer than a merge round says that checkpoints come at rounds', () => {
    const args = (every: string) => ['train', 'linear-learner', '--train', data, '--hp', 'predictor_type=binary_classifier', '--epochs', '1', '--workers', '2',
      '--sync-every', '8', '--model-dir', join(root, `round-model-${every}`), '--checkpoint-dir', join(root, `round-checkpoints-${every}`), '--checkpoint-every', every];
    const fine = boundless(...args('3b'));
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stderr, /^boundless: train: warning: checkpoints are written at merge rounds: --checkpoint-every 3b comes due within every round \(--sync-every 8: 16 batches of the 2 workers together\), so a checkpoint is written at each round$/m);
    const coarse = boundless(...args('16b'));
    assert.equal(coarse.code, 0, coarse.stderr);
    assert.doesNotMatch(coarse.stderr, /merge rounds/);
    // Without --sync-every, the linear learner's default round (32 batches a worker): said too (it was not).
    const byDefault = boundless(...args('10b').filter((a, i, all) => a !== '--sync-every' && all[i - 1] !== '--sync-every'));
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /^boundless: train: warning: checkpoints are written at merge rounds: --checkpoint-every 10b comes due within every round \(--sync-every 32, the default: 64 batches of the 2 workers together\)/m);
  });

  it('bad --workers and --sync-every values are one clear line', () => {
    const base = ['train', 'linear-learner', '--train', data, '--hp', 'predictor_type=binary_classifier'];
    const cases: [string[], RegExp][] = [
      [['--workers', '0'], /--workers must be an integer >= 1, got "0"/],
      // A typo's worth of threads (each with a whole state) would take the machine's memory.
      [['--workers', '99999999'], /--workers must be an integer from 1 to \d+ \(4 per core this process may use\), got 99999999/],
      [['--workers', '2', '--sync-every', 'auto'], /--sync-every auto is for --cluster jobs; workers of one process merge every N batches or Ns seconds/],
      [['--workers', '2', '--sync-every', '5x'], /--sync-every must be N or Nb \(batches of each worker\), Ns \(seconds\) or auto \(--cluster\), got "5x"/],
      [['--workers', '2', '--sync-every', '2s', '--deterministic'], /--deterministic merges every N batches: give --sync-every N, not seconds/],
      // Past a timer's longest delay Node fires after 1 ms: rounds came every millisecond.
      [['--workers', '2', '--sync-every', '3000000s'], /--sync-every must be at most 2147483s \(24\.8 days, a timer's longest delay\), got "3000000s"/],
      [['--workers', '2', '--sync-every', '99999999999999999999'], /--sync-every must be at most 2\^53 − 1 \(9007199254740991\) batches, got "99999999999999999999"/],
    ];
    for (const [extra, message] of cases) {
      const result = boundless(...base, ...extra);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it('k-means with workers or --cluster and a second epoch is a usage error, before any data is read (it trained one pass\'s model twice)', () => {
    const base = ['train', 'kmeans', '--train', data, '--label-size', '0', '--hp', 'k=3', '--model-dir', join(root, 'kmeans-epochs')];
    const message = /^boundless: train: kmeans takes one epoch with data-parallel workers or cluster members, got 2: each merge round starts every member from a fresh state/m;
    for (const extra of [['--workers', '2', '--epochs', '2'], ['--workers', '2', '--hp', 'epochs=2'], ['--epochs', '2', '--cluster', 'redis://127.0.0.1:1', '--job', 'km']]) {
      const result = boundless(...base, ...extra);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it('a bad record in one worker\'s share ends the run with its error, every time (the other workers stop, not the process)', async () => {
    // Workers were terminated with native calls in flight, which aborted the process (SIGABRT) in most runs.
    const random = Random.fromSeed(8);
    const lines = Array.from({ length: 60000 }, (_, r) => [r % 2, ...Array.from({ length: 10 }, () => random.nextFloat().toFixed(4))].join(','));
    lines[49999] = '1,abc' + ',1'.repeat(9);
    const bad = join(root, 'bad.csv');
    await writeFile(bad, lines.join('\n') + '\n');
    for (const algorithm of ['linear-learner', 'factorization-machines', 'linear-learner', 'factorization-machines']) {
      const hp = algorithm === 'factorization-machines' ? ['--hp', 'num_factors=4'] : [];
      const result = boundless('train', algorithm, '--train', bad, '--hp', 'predictor_type=binary_classifier', ...hp, '--workers', '2',
        '--epochs', '1', '--model-dir', join(root, 'bad-model'));
      assert.equal(result.code, 1, `${algorithm}: exit ${result.code} ${result.stderr}`);
      // The file's own line (it was `bad.csv (read from byte N; lines counted from there), line M`).
      assert.match(result.stderr, /bad\.csv, line 50000: column 2 'abc' is not a number/);
    }
  });

  describe('a path that names a stream: read once by the coordinating thread and dealt, as stdin is', () => {
    const trainArgs = (train: string, modelDir: string) => ['train', 'linear-learner', '--train', train, '--hp', 'predictor_type=binary_classifier',
      '--workers', '2', '--mini-batch-size', '64', '--epochs', '2', '--model-dir', modelDir];
    const warning = (path: string) => `warning: the training channel (${path}) is a stream, which can be read once: trained 1 epoch of the 2 asked for`;

    it('a named pipe (every record once; it hung, each thread waiting to open the pipe)', async () => {
      const fifo = makeFifo(join(root, 'train.pipe'));
      try {
        feedFifo(fifo, data);
        const child = spawn(process.execPath, [cli, ...trainArgs(fifo, join(root, 'fifo-model'))], { cwd: packageRoot });
        const result = await ended(child, 120_000);
        assert.equal(result.code, 0, `${result.late ? 'killed after 120 s: ' : ''}${result.stderr}`);
        assert.equal(JSON.parse(result.stdout).metrics.records, 20000);
        assert.ok(result.stderr.includes(warning(fifo)), result.stderr);
      } finally {
        releaseReaders(fifo);
      }
    });

    it('/dev/stdin fed from a pipe (every record once; it failed: label (column 1) is empty), or from a socket', () => {
      const args = trainArgs('/dev/stdin', join(root, 'dev-stdin-model'));
      const piped = spawnSync('sh', ['-c', 'cat "$0" | exec "$@"', data, process.execPath, cli, ...args],
        { cwd: packageRoot, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
      // Node's 'pipe' (spawnSync's input) is a socket pair, which cannot be opened: /dev/stdin is then read as '-' is.
      const socket = spawnSync(process.execPath, [cli, ...args],
        { cwd: packageRoot, encoding: 'utf8', input: readFileSync(data), timeout: 120_000, killSignal: 'SIGKILL' });
      for (const [what, result] of [['a pipe', piped], ['a socket', socket]] as const) {
        assert.equal(result.status, 0, `${what}: ${result.stderr}`);
        assert.equal(JSON.parse(result.stdout).metrics.records, 20000, what);
        assert.ok(result.stderr.includes(warning('/dev/stdin')), `${what}: ${result.stderr}`);
      }
    });

    it('a process substitution, <(cat train.csv) (every record once)', () => {
      const script = 'exec "$0" "$1" train linear-learner --train <(cat "$2") --hp predictor_type=binary_classifier --workers 2 --mini-batch-size 64 --model-dir "$3"';
      const result = spawnSync('bash', ['-c', script, process.execPath, cli, data, join(root, 'substitution-model')],
        { cwd: packageRoot, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).metrics.records, 20000);
    });

    it('one SIGTERM stops a run waiting on a named pipe\'s quiet writer (exit status 130), with workers or without', async () => {
      for (const workers of ['2', '1']) {
        const fifo = makeFifo(join(root, `quiet-${workers}.pipe`));
        let writer: number | undefined;
        try {
          const child = spawn(process.execPath, [cli, 'train', 'linear-learner', '--train', fifo, '--hp', 'predictor_type=binary_classifier',
            '--workers', workers, '--model-dir', join(root, 'quiet-model')], { cwd: packageRoot });
          const exit = ended(child, 60_000);
          // The run holds the pipe open: it is past its start (the signal handler is set) and waits for bytes.
          writer = await quietWriter(fifo);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const sent = Date.now();
          child.kill('SIGTERM');
          const result = await exit;
          assert.equal(result.code, 130, `--workers ${workers}: ${result.late ? 'still running 60 s after SIGTERM, killed' : `exit ${result.code} ${result.signal}`}: ${result.stderr}`);
          assert.match(result.stderr, /train: interrupted/);
          assert.ok(Date.now() - sent < 30_000, `--workers ${workers}: ${Date.now() - sent} ms to stop`);
        } finally {
          if (writer !== undefined) closeSync(writer);
          releaseReaders(fifo);
        }
      }
    });
  });

  it('reads stdin with workers: its batches dealt round-robin, every record once', async () => {
    const modelDir = join(root, 'stdin-model');
    const result = spawnSync(process.execPath, [cli, 'train', 'linear-learner', '--train', '-', '--hp', 'predictor_type=binary_classifier',
      '--workers', '2', '--mini-batch-size', '64', '--model-dir', modelDir], { cwd: packageRoot, encoding: 'utf8', input: await readFile(data) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).metrics.records, 20000);
  });
});
