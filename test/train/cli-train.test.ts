// The CLI's train, predict, evaluate and select, on the test-only algorithm
// (loaded with --algorithm-module), including kill -9 at random moments.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../lib/index.js';
import { packageRoot } from '../../lib/package-root.js';
import { readSafetensorsMetadata } from '../../lib/state/safetensors.js';
import { killAfterCheckpoint } from '../fixtures/kill-after-checkpoint.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'least-squares.ts');
const cli = join(packageRoot, 'dist', 'cli', 'main.js');
const common = ['--algorithm-module', fixture];

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: packageRoot, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function csv(seed: number, rows: number): string {
  const random = Random.fromSeed(seed);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const x = [random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
    lines.push([(1 + 2 * x[0] - x[1] + 0.5 * x[2]).toFixed(5), ...x.map((v) => v.toFixed(5))].join(','));
  }
  return lines.join('\n') + '\n';
}

describe('boundless train / predict / evaluate / select', function () {
  this.timeout(300_000);
  let root: string;
  let data: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-cli-train-'));
    data = join(root, 'train.csv');
    await writeFile(data, csv(11, 20000));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  const trainArgs = (modelDir: string, checkpointDir: string) => ['train', 'least-squares', ...common, '--train', data,
    '--hp', 'feature_dim=3', '--hp', 'learning_rate=0.05', '--hp', 'num_models=4', '--seed', '3', '--epochs', '30',
    '--mini-batch-size', '50', '--model-dir', modelDir, '--checkpoint-dir', checkpointDir, '--checkpoint-every', '40b', '--deterministic'];

  it('killed with SIGKILL at random moments, --resume always ends with the uninterrupted model, byte for byte', async () => {
    const reference = boundless(...trainArgs(join(root, 'reference'), join(root, 'reference-checkpoints')));
    assert.equal(reference.code, 0, reference.stderr);
    const expected = await readFile(join(root, 'reference', 'model.safetensors'));
    const random = Random.fromSeed(2024);
    for (let run = 0; run < 3; run++) {
      const modelDir = join(root, `run-${run}`);
      const checkpoints = join(root, `run-${run}-checkpoints`);
      const child = spawn(process.execPath, ['--import', 'tsx', cli, ...trainArgs(modelDir, checkpoints)], { cwd: packageRoot, stdio: 'ignore' });
      // Kill when the run has written a random number of checkpoints (of about 330): always mid-run,
      // whatever the machine's speed, and at a random point of the write cycle.
      const target = 2 + Math.floor(random.nextFloat() * 250);
      const signal = await killAfterCheckpoint(child, checkpoints, target, random);
      assert.equal(signal, 'SIGKILL', `run ${run} finished before the kill (after checkpoint ${target}): nothing was tested`);
      const resumed = boundless(...trainArgs(modelDir, checkpoints), '--resume');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.ok(Buffer.compare(await readFile(join(modelDir, 'model.safetensors')), expected) === 0, `run ${run} (killed after checkpoint ${target})`);
    }
  });

  it('evaluates, predicts and selects from the saved files', async () => {
    const modelDir = join(root, 'model');
    const trained = boundless('train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--epochs', '2', '--model-dir', modelDir);
    assert.equal(trained.code, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout);
    assert.equal(summary.metrics.records, 40000);
    const evaluated = JSON.parse(boundless('evaluate', ...common, '--model', join(modelDir, 'model.safetensors'), '--test', data).stdout);
    assert.equal(evaluated.records, 20000);
    assert.ok(evaluated.mse < 0.01, `mse ${evaluated.mse}`);
    const unlabelled = join(root, 'unlabelled.csv');
    await writeFile(unlabelled, '1,0,0\n0,1,0\n');
    const predicted = boundless('predict', ...common, '--model', join(modelDir, 'model.safetensors'), '--input', unlabelled);
    const rows = predicted.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(Math.abs(rows[0].score - 3) < 0.1 && Math.abs(rows[1].score - 0) < 0.1, predicted.stdout);
    // The required feature_dim comes from the state: not given again.
    const continued = boundless('train', 'least-squares', ...common, '--train', data, '--initial-model', modelDir, '--model-dir', join(root, 'continued'));
    assert.equal(continued.code, 0, continued.stderr);
    assert.equal(JSON.parse(continued.stdout).metrics.records, 20000);
    // A libsvm state's feature_dim comes from it too; another --feature-dim is refused before the pass.
    const sparse = join(root, 'sparse.libsvm');
    await writeFile(sparse, Array.from({ length: 200 }, (_, i) => `${i % 2} ${1 + (i % 5)}:1 ${6 + (i % 4)}:0.5`).join('\n') + '\n');
    const sparseDir = join(root, 'sparse-model');
    const ll = ['train', 'linear-learner', '--train', sparse, '--format', 'libsvm'];
    assert.equal(boundless(...ll, '--feature-dim', '10', '--hp', 'predictor_type=binary_classifier', '--model-dir', sparseDir).code, 0);
    const onSparse = boundless(...ll, '--initial-model', sparseDir, '--model-dir', join(root, 'sparse-continued'));
    assert.equal(onSparse.code, 0, onSparse.stderr);
    assert.equal(JSON.parse(onSparse.stdout).metrics.records, 200 * 15, '15 epochs, the default');
    const otherWidth = boundless(...ll, '--feature-dim', '20', '--initial-model', sparseDir, '--model-dir', join(root, 'sparse-20'));
    assert.equal(otherWidth.code, 2);
    assert.equal(otherWidth.stderr, `boundless: train: --feature-dim 20, but the initial state ${join(sparseDir, 'state.safetensors')} was trained on rows of 10 features, ` +
      'and continues on rows of that width (leave --feature-dim out)\n');
    // Rows wider than the state's: the error says the width is the state's.
    const wide = join(root, 'wide.libsvm');
    await writeFile(wide, '1 1:1 12:1\n0 2:1\n');
    const onWide = boundless('train', 'linear-learner', '--train', wide, '--format', 'libsvm', '--initial-model', sparseDir, '--model-dir', join(root, 'wide-continued'));
    assert.equal(onWide.code, 1);
    assert.equal(onWide.stderr, `boundless: ${wide}, line 1: feature index '12' is outside [1, 10] (feature_dim 10, the initial state ` +
      `${join(sparseDir, 'state.safetensors')}'s width: continued training reads rows of the width it was trained on)\n`);
    // A CSV of another width than --hp feature_dim says where the width came from.
    const narrow = boundless('train', 'linear-learner', '--train', wide, '--format', 'libsvm', '--hp', 'feature_dim=5', '--hp', 'predictor_type=regressor',
      '--model-dir', join(root, 'narrow-hp'));
    assert.match(narrow.stderr, /is outside \[1, 5\] \(feature_dim 5, --hp feature_dim=5\)\n$/);
    // --hp feature_dim: the state's width is the same as its "auto"; another says what the state's rows had.
    assert.equal(boundless(...ll, '--hp', 'feature_dim=10', '--initial-model', sparseDir, '--model-dir', join(root, 'sparse-hp')).code, 0);
    const otherHp = boundless(...ll, '--hp', 'feature_dim=60', '--initial-model', sparseDir, '--model-dir', join(root, 'sparse-hp'));
    assert.match(otherHp.stderr, /was made with feature_dim="auto" \(its rows had 10 features\), but feature_dim=60 was given/);
    // --resume takes the width from the newest checkpoint: a libsvm run restarts without --feature-dim.
    const sparseCheckpoints = join(root, 'sparse-checkpoints');
    const checkpointed = [...ll, '--hp', 'predictor_type=binary_classifier', '--checkpoint-dir', sparseCheckpoints, '--model-dir', join(root, 'sparse-resumed')];
    assert.equal(boundless(...checkpointed, '--epochs', '2', '--feature-dim', '10').code, 0);
    const resumedSparse = boundless(...checkpointed, '--resume', '--epochs', '3');
    assert.equal(resumedSparse.code, 0, resumedSparse.stderr);
    assert.match(resumedSparse.stderr, /resumed from .*checkpoint-000002\.safetensors: 400 records trained, 2 epochs done/);
    assert.equal(JSON.parse(resumedSparse.stdout).metrics.records, 600);
    const resumedOther = boundless(...checkpointed, '--resume', '--epochs', '4', '--feature-dim', '20');
    assert.equal(resumedOther.code, 1);
    assert.match(resumedOther.stderr, /was trained on rows of 10 features, and this run reads 20 \(--feature-dim, featureDim in the API\)/);
    // With no checkpoint yet, the first run's error stands: the width must be given.
    const fresh = boundless(...ll, '--hp', 'predictor_type=binary_classifier', '--checkpoint-dir', join(root, 'no-checkpoints'), '--resume');
    assert.equal(fresh.code, 2);
    assert.match(fresh.stderr, /--format libsvm needs --feature-dim or --hp feature_dim=N/);
    const missingState = boundless('train', 'least-squares', ...common, '--train', data, '--initial-state', join(root, 'none.safetensors'));
    assert.equal(missingState.stderr, `boundless: train: the initial state ${join(root, 'none.safetensors')}: no such file or directory\n`);
    // Continuing on no data is the fresh run's error, not the state given back as if trained.
    const empty = join(root, 'empty.csv');
    await writeFile(empty, '');
    const nothing = boundless('train', 'least-squares', ...common, '--train', empty, '--initial-model', modelDir, '--model-dir', join(root, 'nothing'));
    assert.equal(nothing.code, 1);
    assert.equal(nothing.stderr, `boundless: train: no records in the training channel (${empty})\n`);
    // A FIFO cannot be read at offsets (and opening one no one writes to never returned).
    const fifo = join(root, 'state.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const piped = boundless('train', 'least-squares', ...common, '--train', data, '--initial-state', fifo);
    assert.equal(piped.stderr, `boundless: train: the initial state ${fifo}: is a pipe or FIFO, not a file; ` +
      'a state or model is read at offsets its header gives: save it to a file first\n');
    // Another algorithm's state: said so, not that the required feature_dim is missing.
    const kmeansDir = join(root, 'kmeans-model');
    assert.equal(boundless('train', 'kmeans', '--train', data, '--hp', 'k=2', '--model-dir', kmeansDir).code, 0);
    const foreign = boundless('train', 'least-squares', ...common, '--train', data, '--initial-model', kmeansDir);
    assert.equal(foreign.code, 1);
    assert.equal(foreign.stderr, `boundless: ${join(kmeansDir, 'state.safetensors')}: holds algorithm 'kmeans', expected 'least-squares'\n`);
    const fromModelFile = boundless('train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--initial-model', join(modelDir, 'model.safetensors'));
    assert.match(fromModelFile.stderr, /--initial-model .*model\.safetensors is a finalized model, which cannot continue training; pass the model directory/);
    const selected = boundless('select', ...common, '--state', join(modelDir, 'state.safetensors'), '--select', 'model=0', '--model-dir', join(root, 'selected'));
    assert.deepEqual(JSON.parse(selected.stdout).selection, { model: 0 });
    const fromSelected = boundless('train', 'least-squares', ...common, '--train', data, '--initial-model', join(root, 'selected'));
    assert.equal(fromSelected.code, 1);
    assert.equal(fromSelected.stderr, `boundless: train: --initial-model ${join(root, 'selected')} holds a model.safetensors and no state.safetensors ` +
      '(as select writes): a finalized model cannot continue training; continue from the state it came from (--initial-state FILE)\n');
  });

  it('the README\'s resume of an early-stopped run reports what the run did and trains nothing; other data, fewer epochs, other steps are refused', async () => {
    const D = join(packageRoot, 'examples', 'data', 'breast-cancer');
    const checkpoints = join(root, 'readme-ckpt');
    const readme = ['train', 'linear-learner', '--train', join(D, 'train.csv'), '--validation', join(D, 'validation.csv'),
      '--hp', 'predictor_type=binary_classifier', '--hp', 'mini_batch_size=32', '--epochs', '5', '--seed', '7',
      '--model-dir', join(root, 'readme-model'), '--checkpoint-dir', checkpoints, '--checkpoint-every', '5b'];
    const metricsOf = (stdout: string) => {
      // How the run ran (time, kernel calls, what the epoch cache served) differs between a run and its resumption.
      const { seconds: _seconds, kernels: _kernels, epochCache: _cache, ...rest } = JSON.parse(stdout).metrics;
      return rest;
    };
    const first = boundless(...readme);
    assert.equal(first.code, 0, first.stderr);
    const expected = metricsOf(first.stdout);
    assert.deepEqual([expected.epochs, expected.bestEpoch, expected.stoppedEarly, expected.validation.binary_classification_accuracy,
      expected.validation.selected_model], [4, 1, true, 1, 12]);
    const written = await readdir(checkpoints);
    const resumed = boundless(...readme, '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /^resumed from .*checkpoint-\d+\.safetensors: \d+ records trained, 4 epochs done$/m);
    assert.deepEqual(metricsOf(resumed.stdout), expected);
    assert.deepEqual(await readdir(checkpoints), written, 'no epoch trained, no checkpoint written');
    const newest = join(checkpoints, written.filter((f) => f.startsWith('checkpoint-')).sort().pop()!);
    // The test's data is also a train.csv, of another size, in another directory.
    const other = boundless(...readme.map((a) => (a.endsWith('train.csv') ? data : a)), '--resume');
    assert.equal(other.code, 1);
    assert.equal(other.stderr, `boundless: train: the checkpoint resumed (${newest}) is of other training data: it was taken on ${join(D, 'train.csv')} ` +
      `(95805 bytes), and this run reads ${data} (${(await readFile(data)).length} bytes) in its place (another size); resume with the files it was taken on ` +
      '(same names and sizes; they may have moved), or train from scratch in a new --checkpoint-dir\n');
    const fewer = boundless(...readme.map((a) => (a === '5' ? '3' : a)), '--resume');
    assert.equal(fewer.code, 2);
    assert.equal(fewer.stderr, `boundless: train: the checkpoint resumed (${newest}) has 4 epochs done: epochs must be at least 4, got 3 (--epochs, or the epochs hyperparameter)\n`);
    const steps = boundless(...readme.map((a) => (a === 'mini_batch_size=32' ? 'mini_batch_size=64' : a)), '--resume');
    assert.equal(steps.code, 2);
    assert.equal(steps.stderr, `boundless: train: the checkpoint resumed (${newest}) was made with mini_batch_size=32, but mini_batch_size=64 was given: ` +
      'a state continues with the hyperparameters it was made with (drop those, or train a new model from scratch)\n');
    // Rows of another width: refused before the run says it resumed (it read them at the state's width, without a word).
    const wider = boundless(...readme, '--feature-dim', '31', '--resume');
    assert.equal(wider.code, 1);
    assert.equal(wider.stderr, `boundless: train: the checkpoint resumed (${newest}) was trained on rows of 30 features, and this run reads 31 ` +
      '(--feature-dim, featureDim in the API): resume with the same --feature-dim, or train from scratch in a new --checkpoint-dir\n');
    const fresh = boundless(...readme.map((a) => (a === checkpoints ? join(root, 'readme-none') : a)), '--resume');
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stderr, new RegExp(`^warning: resume: no checkpoint in ${join(root, 'readme-none')} to resume from: training from the start$`, 'm'));
    assert.deepEqual(metricsOf(fresh.stdout), expected);
    // A longer patience reopens the run; the state it saves records the patience it went on with.
    const patient = boundless(...readme, '--hp', 'early_stopping_patience=9', '--resume');
    assert.equal(patient.code, 0, patient.stderr);
    assert.equal(JSON.parse(patient.stdout).metrics.epochs, 5);
    const stored = JSON.parse((await readSafetensorsMetadata(join(root, 'readme-model', 'state.safetensors'))).hyperparameters);
    assert.equal(stored.early_stopping_patience, 9);
  });

  it('interrupted while reading stdin, it points at --initial-state (a stream cannot be resumed); before any checkpoint, it says none was written', async () => {
    const lines = (await readFile(data, 'utf8')).split('\n');
    // An interrupt writes a checkpoint once a batch has trained: 20 rows are less than one batch of 50.
    const interrupt = async (checkpointEvery: string, rows = lines.slice(0, 2000).join('\n') + '\n') => {
      const directory = join(root, `stream-checkpoints-${checkpointEvery}`);
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'train', 'least-squares', ...common, '--train', '-', '--hp', 'feature_dim=3',
        '--mini-batch-size', '50', '--model-dir', join(root, 'stream-model'), '--checkpoint-dir', directory, '--checkpoint-every', checkpointEvery],
      { cwd: packageRoot });
      let stderr = '';
      child.stderr.on('data', (chunk) => { stderr += chunk; });
      const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin.write(rows);  // and no end: the writer stalls, as a quiet producer does
      // The directory is made when the run starts (its signal handlers set); the first checkpoint comes after a batch.
      const ready = async () => checkpointEvery === '1b'
        ? (await readdir(directory).catch(() => [])).some((name) => name.endsWith('.safetensors'))
        : existsSync(directory);
      for (let waited = 0; !(await ready()) && waited < 60_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill('SIGTERM');
      const code = await exit;
      child.stdin.destroy();
      return { code, stderr };
    };
    const saved = await interrupt('1b');
    assert.equal(saved.code, 130, saved.stderr);
    assert.match(saved.stderr, /train: interrupted; the state up to the last batch is in .*checkpoint-\d+\.safetensors \(the stream's first \d+ records\)\. The training channel is a stream, which --resume cannot seek: rows read after that batch were not trained on\. Train on what the stream sends after them with --initial-state .*checkpoint-\d+\.safetensors and the same --hp\n$/);
    // Seconds written as --sync-every writes them (`3600s`, refused before).
    const none = await interrupt('3600s', lines.slice(0, 20).join('\n') + '\n');
    assert.equal(none.code, 130, none.stderr);
    assert.match(none.stderr, /train: interrupted before the first checkpoint; nothing was saved in .*stream-checkpoints-3600s\n$/);
  });

  it('--epoch-cache: later epochs come from memory (said in the final JSON), the same model bytes as --epoch-cache 0', async () => {
    const run = (name: string, ...extra: string[]) => {
      const result = boundless('train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--epochs', '3',
        '--mini-batch-size', '500', '--model-dir', join(root, name), ...extra);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { metrics: { epochCache: { train: Record<string, unknown> } } };
    };
    const cached = run('cached');
    const read = run('read', '--epoch-cache', '0');
    assert.deepEqual(await readFile(join(root, 'cached', 'model.safetensors')), await readFile(join(root, 'read', 'model.safetensors')));
    assert.equal(cached.metrics.epochCache.train.epochsFromCache, 2);
    assert.equal(cached.metrics.epochCache.train.batches, 40);
    assert.deepEqual(read.metrics.epochCache.train, { epochsFromCache: 0, bytes: 0, batches: 0, notCached: 'epochCacheBytes is 0' });
  });

  it('reports bad arguments and inputs in one line with a non-zero exit', async () => {
    // Exit status 2: a bad command line (usage); 1: bad input or a failed run.
    const cases: [string[], string, number][] = [
      [['train', 'nope', '--train', data], "boundless: train: unknown algorithm 'nope'; available: deepar, factorization-machines, kmeans, linear-learner, ntm, pca (add your own with --algorithm-module <file>)\n", 2],
      [['train', 'least-squares', ...common], 'boundless: train: --train is required (training data: a file, directory, glob, \'-\' for stdin, or a Redis stream: \'redis://HOST:PORT[/DB]?stream=KEY\')\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--checkpoint-every', 'often'], 'boundless: train: --checkpoint-every must be SECONDS (N or Ns) or Nb (every N batches), got "often"\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--resume'], 'boundless: train: --resume needs --checkpoint-dir\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--epoch-cache', 'lots'], 'boundless: train: --epoch-cache must be an integer >= 0, got "lots"\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--epoch-cache', '1000000000000'],
        'boundless: train: --epoch-cache must be an integer >= 0 and at most 8589934591 (MiB), got "1000000000000"\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--checkpoint-every', '2b'], 'boundless: train: --checkpoint-every needs --checkpoint-dir\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--keep-checkpoints', '2'], 'boundless: train: --keep-checkpoints needs --checkpoint-dir\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'epochs=2', '--epochs', '4'], 'boundless: train: epochs is given twice, as --hp epochs=2 and --epochs 4; give one of them\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'seed=1', '--seed', '2'], 'boundless: train: seed is given twice, as --hp seed=1 and --seed 2; give one of them\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--checkpoint-dir', data],
        `boundless: checkpoint directory ${data} exists and is not a directory: give --checkpoint-dir (checkpoint.directory) a directory, or a path that does not exist yet (it is made)\n`, 1],
      // Node's recursive mkdir never returns under /proc (ENOENT for the child, EEXIST for the parent, again): it hung at 100% CPU.
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--checkpoint-dir', '/proc/boundless-checkpoints'],
        "boundless: checkpoint directory (--checkpoint-dir, checkpoint.directory): cannot make the directory /proc/boundless-checkpoints: ENOENT: no such file or directory, mkdir '/proc/boundless-checkpoints'\n", 1],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--model-dir', '/proc/boundless-model'],
        "boundless: --model-dir: cannot make the directory /proc/boundless-model: ENOENT: no such file or directory, mkdir '/proc/boundless-model'\n", 1],
      // A directory that exists but cannot be written in: refused before training, not when the model is saved.
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--model-dir', '/proc/self'],
        `boundless: --model-dir /proc/self: cannot create a file in it (ENOENT: no such file or directory, open '/proc/self/.boundless-write-test-PID'); give a directory this process may write in\n`, 1],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--checkpoint-dir', '/proc/self'],
        'boundless: checkpoint directory (--checkpoint-dir, checkpoint.directory) /proc/self: cannot create a file in it ' +
        `(ENOENT: no such file or directory, open '/proc/self/.boundless-write-test-PID'); give a directory this process may write in\n`, 1],
      [['train', 'least-squares', ...common, '--train', data, '--workers', '2', '--sync-every', '0'], 'boundless: train: --sync-every must be N or Nb (batches of each worker), Ns (seconds) or auto (--cluster), got "0"\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim'], 'boundless: train: --hp expects name=value, got "feature_dim"\n', 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--hp', 'learning_rate=fast'], `boundless: least-squares: hyperparameter 'learning_rate' got "fast", expected a number in (0, ∞) or 'auto'\n`, 2],
      [['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--hp', 'max_record_bytes=9000000'], "boundless: least-squares: 'max_record_bytes' is a reading option, not a hyperparameter: pass --max-record-bytes N on the command line (data: { maxRecordBytes } in the API)\n", 2],
      [['train', 'least-squares', ...common, '--train', join(root, 'missing.csv'), '--hp', 'feature_dim=3'], `boundless: ${join(root, 'missing.csv')}: no such file or directory\n`, 1],
      [['evaluate', ...common, '--model', data, '--test', data], `boundless: ${data}: header length 3184103426274635314 exceeds the 676670 bytes after the length prefix (truncated or not a safetensors file)\n`, 1],
    ];
    for (const [args, message, code] of cases) {
      const result = boundless(...args);
      assert.equal(result.code, code, args.join(' '));
      assert.equal(result.stderr.replace(/write-test-\d+-\d+/, 'write-test-PID'), message, args.join(' '));
    }
  });

  it('continued training reads rows with the state\'s label column and read-past columns when none are named (a regressor learned column 1 instead, exit 0)', async () => {
    // Rows: an id to read past, the target y = 2·x0 − x1, a 0/1 column, then x0 and x1.
    const random = Random.fromSeed(4);
    const rows = (n: number) => Array.from({ length: n }, (_, i) => {
      const x0 = random.nextGaussian(), x1 = random.nextGaussian();
      return `id${i},${(2 * x0 - x1).toFixed(5)},${i % 2},${x0.toFixed(5)},${x1.toFixed(5)}`;
    }).join('\n') + '\n';
    const [first, second] = [join(root, 'layout-a.csv'), join(root, 'layout-b.csv')];
    await writeFile(first, rows(400));
    await writeFile(second, rows(400));
    const layout = ['--ignore-columns', '1', '--label-column', '2'];
    assert.equal(boundless('train', 'linear-learner', '--train', first, ...layout, '--hp', 'predictor_type=regressor', '--epochs', '1', '--model-dir', join(root, 'layout-a')).code, 0);
    const continued = (dir: string, ...extra: string[]) => {
      const result = boundless('train', 'linear-learner', '--train', second, '--initial-model', join(root, 'layout-a'), '--epochs', '1', ...extra, '--model-dir', join(root, dir));
      assert.equal(result.code, 0, result.stderr);
      return readFile(join(root, dir, 'model.safetensors'));
    };
    assert.deepEqual(await continued('layout-same'), await continued('layout-named', ...layout));
    // Rows without the id (--ignore-columns none): the label moves with the columns, as evaluate moves it.
    const withoutId = join(root, 'layout-b-no-id.csv');
    await writeFile(withoutId, (await readFile(second, 'utf8')).replace(/^id\d+,/gm, ''));
    const moved = boundless('train', 'linear-learner', '--train', withoutId, '--initial-model', join(root, 'layout-a'), '--epochs', '1',
      '--ignore-columns', 'none', '--model-dir', join(root, 'layout-moved'));
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(await readFile(join(root, 'layout-moved', 'model.safetensors')), await continued('layout-same-again'));
    // Naming the read-past column alone: the state's label column still holds (it said "--ignore-columns names the label's column (1, the first by default)").
    assert.deepEqual(await continued('layout-ignore-1', '--ignore-columns', '1'), await continued('layout-same-third'));
    // k-means trained on rows with a label (--label-size 1) continues on the same rows without it being named again.
    const kmeansArgs = ['--hp', 'k=2', '--epochs', '1'];
    assert.equal(boundless('train', 'kmeans', '--train', first, ...layout, '--label-size', '1', ...kmeansArgs, '--model-dir', join(root, 'km-a')).code, 0);
    const kmeans = boundless('train', 'kmeans', '--train', second, '--initial-model', join(root, 'km-a'), ...kmeansArgs, '--model-dir', join(root, 'km-b'));
    assert.equal(kmeans.code, 0, kmeans.stderr);
  });

  it('refuses a --model-dir whose model or state file cannot be written before training, writing neither', async () => {
    // A directory or a link loop where state.safetensors goes failed after the whole run, with the new model written beside the old state.
    const blocked = join(root, 'blocked-model');
    await mkdir(join(blocked, 'state.safetensors'), { recursive: true });
    const args = ['train', 'least-squares', ...common, '--train', data, '--hp', 'feature_dim=3', '--epochs', '1'];
    let result = boundless(...args, '--model-dir', blocked);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `boundless: --model-dir: ${join(blocked, 'state.safetensors')}: is a directory, expected a file to write\n`);
    assert.deepEqual(await readdir(blocked), ['state.safetensors']);
    const looped = join(root, 'looped-model');
    await mkdir(looped, { recursive: true });
    await symlink('model.safetensors', join(looped, 'model.safetensors'));
    result = boundless(...args, '--model-dir', looped);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `boundless: --model-dir: ${join(looped, 'model.safetensors')}: too many levels of symbolic links (a loop of links), expected a file to write\n`);
  });
});
