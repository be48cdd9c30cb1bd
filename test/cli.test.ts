import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, parseHyperparameters, saveState, denseBatch } from '../lib/index.js';
import { packageRoot } from '../lib/package-root.js';
import { leastSquares } from './fixtures/least-squares.js';
import { sageMakerMetricLines } from '../lib/cli/progress.js';
import { float32Value } from '../lib/cli/inspect.js';
import { coverageMarkdown } from '../lib/backends/coverage.js';

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('boundless command', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-cli-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('runs as an executable (npx boundless), not only through node', () => {
    const result = spawnSync(join(packageRoot, 'dist', 'cli', 'main.js'), ['help'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.error?.message);
    assert.match(result.stdout, /^Usage: boundless <command> \[options\]/);
  });

  it('backends: JSON on stdout with every backend and its reason', () => {
    const { code, stdout } = boundless('backends');
    assert.equal(code, 0);
    const reports = JSON.parse(stdout) as { name: string; available: boolean; reason: string }[];
    assert.deepEqual(reports.map((r) => r.name), ['cuda', 'webgpu', 'cpu']);
    assert.equal(reports.find((r) => r.name === 'cpu')!.available, true);
  });

  it('backends --coverage: the coverage table as Markdown, from the kernel registry', () => {
    const { code, stdout } = boundless('backends', '--coverage');
    assert.equal(code, 0);
    assert.equal(stdout, coverageMarkdown());
    assert.match(stdout, /^\| linear-learner \| update \| `linearLearnerUpdate` \| ✓ \| (✓|cpu) \| (✓|cpu) \|$/m);
  });

  it('train prints metrics.kernels; evaluate and predict with --stats too (predict to stdout: on stderr)', async () => {
    const data = join(directory, 'kernels.csv');
    const rows = Array.from({ length: 2500 }, (_, i) => `${i % 2},${(i % 7) - 3 + (i % 2) * 10},${(i % 5) - 2}`);
    await writeFile(data, rows.join('\n') + '\n');
    const dir = join(directory, 'kernels-model');
    const trained = boundless('train', 'kmeans', '--train', data, '--label-size', '1', '--hp', 'k=2', '--mini-batch-size', '1000',
      '--epochs', '1', '--model-dir', dir, '--backend', 'cpu');
    assert.equal(trained.code, 0, trained.stderr);
    assert.deepEqual(JSON.parse(trained.stdout).metrics.kernels, { kmeansUpdate: { backend: 'cpu', calls: 3, fallbacks: 0 } });
    const evaluated = boundless('evaluate', '--model', dir, '--test', data, '--label-size', '1', '--mini-batch-size', '1000', '--stats');
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.deepEqual(JSON.parse(evaluated.stdout).metrics.kernels, { kmeansAssign: { backend: 'cpu', calls: 3, fallbacks: 0 } });
    assert.equal('metrics' in JSON.parse(boundless('evaluate', '--model', dir, '--test', data, '--label-size', '1').stdout), false, 'only with --stats');
    const predicted = boundless('predict', '--model', dir, '--input', data, '--label-size', '1', '--mini-batch-size', '500', '--stats');
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.equal(predicted.stdout.trim().split('\n').length, 2500);
    const summary = JSON.parse(predicted.stderr.trim().split('\n').at(-1)!);
    assert.deepEqual(summary.metrics.kernels, { kmeansAssign: { backend: 'cpu', calls: 5, fallbacks: 0 } });
    // Without --mini-batch-size, narrow dense rows come 2^18 values a batch: one call for these 2,500 rows, the same lines.
    const whole = boundless('predict', '--model', dir, '--input', data, '--label-size', '1', '--stats');
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(whole.stdout, predicted.stdout);
    assert.deepEqual(JSON.parse(whole.stderr.trim().split('\n').at(-1)!).metrics.kernels, { kmeansAssign: { backend: 'cpu', calls: 1, fallbacks: 0 } });
  });

  it('predict and evaluate say on stderr why a GPU backend ran calls on cpu (here: the emulated cuda device is too small)', async () => {
    // The CPU emulation of the CUDA runtime with 600 bytes of device memory: every assignment is declined, with the sizes.
    execFileSync(process.execPath, [join(packageRoot, 'scripts', 'build-cuda-emulation.mjs')], { cwd: packageRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    const data = join(directory, 'declined.csv');
    await writeFile(data, Array.from({ length: 300 }, (_, i) => `${i % 2},${(i % 7) - 3},${(i % 5) - 2}`).join('\n') + '\n');
    const dir = join(directory, 'declined-model');
    assert.equal(boundless('train', 'kmeans', '--train', data, '--label-size', '1', '--hp', 'k=2', '--model-dir', dir, '--backend', 'cpu').code, 0);
    const env = { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: join(packageRoot, 'build-cuda-emulation', 'boundless_cuda.node'), BOUNDLESS_CUDA_EMULATION_MEMORY: '600' };
    const cli = join(packageRoot, 'dist', 'cli', 'main.js');
    for (const command of [['predict', '--input', data, '--output', join(directory, 'declined.jsonl')], ['evaluate', '--test', data]]) {
      const run = spawnSync(process.execPath, [cli, command[0], '--model', dir, ...command.slice(1), '--label-size', '1', '--backend', 'cuda'], { encoding: 'utf8', env });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, new RegExp(`^boundless: ${command[0]}: warning: cuda declined kmeansAssign on 1 of 1 calls, which ran on cpu: cuda rowKernel: out of device memory: the batch needs \\d+ bytes; the device has 600 free of 600 \\(BOUNDLESS_STRICT_BACKEND=1 makes that an error\\)$`, 'm'));
    }
  });

  it('negative control: strict mode with cuda forced on a machine without it fails, naming cuda', async function () {
    const cuda = JSON.parse(boundless('backends').stdout).find((r: { name: string }) => r.name === 'cuda');
    if (cuda.available) this.skip();
    const data = join(directory, 'strict.csv');
    await writeFile(data, '1,2,3\n0,1,1\n1,3,2\n');
    const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'train', 'pca', '--train', data, '--label-size', '1',
      '--hp', 'num_components=1', '--model-dir', join(directory, 'strict-model')],
    { encoding: 'utf8', env: { ...process.env, BOUNDLESS_STRICT_BACKEND: '1', BOUNDLESS_BACKEND: 'cuda' } });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^boundless: BOUNDLESS_BACKEND=cuda was requested but backend 'cuda' is unavailable: \S/);
  });

  it('exits once its command is done, with its status, though a library left a timer running (ioredis\'s reply parser does)', async () => {
    const preload = join(directory, 'timer.cjs');
    await writeFile(preload, 'setInterval(() => {}, 1000);\n');
    const run = (...args: string[]) => spawnSync(process.execPath, ['--require', preload, join(packageRoot, 'dist', 'cli', 'main.js'), ...args],
      { encoding: 'utf8', timeout: 60_000 });
    const ok = run('backends');
    assert.equal(ok.error, undefined, 'the command did not exit');
    assert.equal(ok.status, 0);
    assert.equal(JSON.parse(ok.stdout).length, 3);
    const usage = run('train');
    assert.equal(usage.error, undefined, 'the command did not exit');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^boundless: /);
  });

  it('inspect: summarizes a state file', async () => {
    const cpu = await createBackend('cpu');
    const hp = parseHyperparameters('least-squares', leastSquares.hyperparameters, { feature_dim: 2, num_models: 2 });
    const state = leastSquares.createState(hp, { featureDim: 2, labelSize: 1 }, cpu);
    await leastSquares.update(state, denseBatch(Float32Array.from([1, 2, 3, 4]), 2, Float32Array.from([1, 0])), cpu);
    const path = join(directory, 'state.safetensors');
    await saveState(path, state);
    const { code, stdout } = boundless('inspect', path);
    assert.equal(code, 0);
    const summary = JSON.parse(stdout);
    assert.equal(summary.kind, 'state');
    assert.equal(summary.algorithm, 'least-squares');
    assert.equal(summary.hyperparameters.num_models, 2);
    // Up to 16 values are printed, each as the shortest decimal that reads back as the float32 stored.
    const stored = Array.from(state.tensors.weights.data as Float32Array);
    assert.deepEqual({ ...summary.tensors.weights, values: summary.tensors.weights.values.map(Math.fround) }, { dtype: 'F32', shape: [2, 2], values: stored });
    assert.deepEqual(summary.tensors.weights.values, stored.map(float32Value));
    assert.deepEqual([0.1, 1 / 3, -2.5e-8, 16777216, 3.4028234663852886e38].map((v) => float32Value(Math.fround(v))), [0.1, 0.33333334, -2.5e-8, 16777216, 3.4028235e38]);
    assert.equal(summary.scalars.examples_seen, 2);
    assert.equal(summary.tensorBytes, 16 + 8 + 8 + 16);
  });

  it('a bad file or command: one clear line on stderr and a non-zero exit', async () => {
    const junk = join(directory, 'junk.safetensors');
    await writeFile(junk, 'not a checkpoint at all');
    const bad = boundless('inspect', junk);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^boundless: .*junk\.safetensors: header length \d+ exceeds the 15 bytes after the length prefix \(truncated or not a safetensors file\)\n$/);
    const unknown = boundless('fly');
    assert.equal(unknown.code, 2, 'a usage error');
    assert.equal(unknown.stderr, "boundless: unknown command 'fly'; run `boundless help` for the list\n");
  });

  describe('convert', () => {
    const csv = Array.from({ length: 50 }, (_, i) => `${i % 2},${(i * 0.1).toFixed(1)},${i === 7 ? 0 : -i},1e-${i % 7}`).join('\n') + '\n';

    it('round-trips CSV through recordIO, libsvm and JSON Lines exactly', async () => {
      const source = join(directory, 'data.csv');
      await writeFile(source, csv);
      const expected = (await readFile(source, 'utf8'));
      for (const [to, back] of [['recordio', ['--format', 'recordio', '--feature-dim', '3']], ['libsvm', ['--format', 'libsvm', '--feature-dim', '3']],
        ['jsonl', ['--format', 'jsonl', '--feature-dim', '3']]] as const) {
        const middle = join(directory, `data.${to}`);
        const forward = boundless('convert', '--input', source, '--format', 'csv', '--to', to, '--output', middle);
        assert.equal(forward.code, 0, forward.stderr);
        assert.deepEqual(JSON.parse(forward.stdout), { input: source, output: middle, from: 'csv', to, records: 50, bytes: JSON.parse(forward.stdout).bytes, featureDim: 3, labelSize: 1,
          label: "column 1 of each row, by SageMaker's CSV convention: pass --label-size 0 if the rows have no label", badRecords: {} });
        const again = boundless('convert', '--input', middle, ...back, '--to', 'csv', '--output', '-');
        assert.equal(again.code, 0, again.stderr);
        // Shortest float32 text: 0.1 stays 0.1, 1e-6 prints as 0.000001.
        const normalize = (text: string) => text.trim().split('\n').map((line) => line.split(',').map(Number).join(','));
        assert.deepEqual(normalize(again.stdout), normalize(expected), `csv -> ${to} -> csv`);
        assert.match(again.stderr, /"records":50/);
      }
    });

    it('says in its summary what became of the labels: none given to libsvm get 0; libsvm labels dropped with --label-size 0', async () => {
      const source = join(directory, 'unlabelled.csv');
      await writeFile(source, '1.5,2\n-3,4\n');
      const svm = join(directory, 'unlabelled.svm');
      const forward = boundless('convert', '--input', source, '--format', 'csv', '--label-size', '0', '--to', 'libsvm', '--output', svm);
      assert.equal(forward.code, 0, forward.stderr);
      const summary = JSON.parse(forward.stdout);
      assert.equal(summary.featureDim, 2);
      assert.equal(summary.labelSize, 0);
      assert.equal(summary.label, 'none (--label-size 0); libsvm lines need one, so each was written with label 0');
      assert.equal(await readFile(svm, 'utf8'), '0 1:1.5 2:2\n0 1:-3 2:4\n');
      const back = boundless('convert', '--input', svm, '--format', 'libsvm', '--feature-dim', '2', '--label-size', '0', '--to', 'csv', '--output', '-');
      assert.equal(back.code, 0, back.stderr);
      assert.equal(back.stdout, '1.5,2\n-3,4\n');
      assert.equal(JSON.parse(back.stderr).label, "none kept (--label-size 0): the input's labels, where it has them, were dropped");
    });

    it('--label-column N takes the label from the Nth column (counted from 1), for CSV rows that have one', async () => {
      const source = join(directory, 'label-last.csv');
      await writeFile(source, '1.5,2,0\n-3,4,1\n');
      const forward = boundless('convert', '--input', source, '--format', 'csv', '--label-column', '3', '--to', 'libsvm', '--output', '-');
      assert.equal(forward.code, 0, forward.stderr);
      assert.equal(forward.stdout, '0 1:1.5 2:2\n1 1:-3 2:4\n');
      assert.equal(JSON.parse(forward.stderr).label, 'column 3 of each row (--label-column 3)');
      const beyond = boundless('convert', '--input', source, '--format', 'csv', '--label-column', '4', '--to', 'libsvm', '--output', '-');
      assert.equal(beyond.code, 1);
      assert.equal(beyond.stderr, `boundless: ${source}: the label's column (column 4: labelColumn 3, --label-column 4) is beyond the first record's 3 columns\n`);
      const unlabelled = boundless('convert', '--input', source, '--format', 'csv', '--label-size', '0', '--label-column', '3', '--to', 'csv', '--output', '-');
      assert.equal(unlabelled.code, 2);
      assert.equal(unlabelled.stderr.trim().split('\n').pop(), 'boundless: convert: --label-column names the label\'s column, and --label-size 0 says the rows have none: give one of them');
      const libsvm = boundless('convert', '--input', source, '--format', 'libsvm', '--feature-dim', '2', '--label-column', '3', '--to', 'csv', '--output', '-');
      assert.equal(libsvm.code, 2);
      assert.equal(libsvm.stderr.trim().split('\n').pop(), 'boundless: convert: --label-column is for CSV (--format libsvm marks its labels itself)');
    });

    it('a model trained with --label-column reads that column by default in evaluate and predict --label-size 1', async () => {
      // Label in column 3 of 4: it was read from column 1 by evaluate unless named again (accuracy 0.54 against 0.99).
      const lines: string[] = [];
      const unlabelled: string[] = [];
      for (let i = 0; i < 400; i++) {
        const x = [Math.sin(i * 1.7) * 2, Math.cos(i * 0.9) * 2, Math.sin(i * 0.31)];
        const y = x[0] - x[1] + 0.1 * x[2] > 0 ? 1 : 0;
        lines.push([x[0].toFixed(4), x[1].toFixed(4), y, x[2].toFixed(4)].join(','));
        unlabelled.push([x[0].toFixed(4), x[1].toFixed(4), x[2].toFixed(4)].join(','));
      }
      const source = join(directory, 'label-third.csv');
      await writeFile(source, lines.join('\n') + '\n');
      await writeFile(join(directory, 'label-none.csv'), unlabelled.join('\n') + '\n');
      const model = join(directory, 'label-third-model');
      const trained = boundless('train', 'linear-learner', '--train', source, '--label-column', '3', '--hp', 'predictor_type=binary_classifier', '--model-dir', model);
      assert.equal(trained.code, 0, trained.stderr);
      const named = JSON.parse(boundless('evaluate', '--model', model, '--test', source, '--label-column', '3').stdout);
      const defaulted = JSON.parse(boundless('evaluate', '--model', model, '--test', source).stdout);
      assert.ok(named.binary_classification_accuracy > 0.95, JSON.stringify(named));
      assert.deepEqual(defaulted, named);
      const withLabels = boundless('predict', '--model', model, '--input', source, '--label-size', '1');
      const without = boundless('predict', '--model', model, '--input', join(directory, 'label-none.csv'));
      assert.equal(withLabels.code, 0, withLabels.stderr);
      assert.equal(withLabels.stdout, without.stdout);
    });

    it("--ignore-columns reads past row names (R's write.csv): refused until named, then kept by the model for evaluate and predict", async () => {
      // As write.csv(data.frame(a, b, y, c)) writes it: a quoted row number first, under an empty header cell.
      const header = '"","a","b","y","c"';
      const lines = [header];
      const unlabelled = ['"","a","b","c"'];
      for (let i = 1; i <= 400; i++) {
        const x = [Math.sin(i * 1.7) * 2, Math.cos(i * 0.9) * 2, Math.sin(i * 0.31)];
        const y = x[0] - x[1] + 0.1 * x[2] > 0 ? 1 : 0;
        lines.push([`"${i}"`, x[0].toFixed(4), x[1].toFixed(4), y, x[2].toFixed(4)].join(','));
        unlabelled.push([`"${i}"`, x[0].toFixed(4), x[1].toFixed(4), x[2].toFixed(4)].join(','));
      }
      const source = join(directory, 'row-names.csv');
      await writeFile(source, lines.join('\n') + '\n');
      await writeFile(join(directory, 'row-names-unlabelled.csv'), unlabelled.join('\n') + '\n');
      const model = join(directory, 'row-names-model');
      const train = (...extra: string[]) => boundless('train', 'linear-learner', '--train', source, '--header', '--label-column', '4',
        '--hp', 'predictor_type=binary_classifier', '--model-dir', model, ...extra);
      const refused = train();
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`^boundless: ${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 1: column 1 has an unnamed header cell and its values count the rows \\(1, 2, 3, …\\): row names`));
      const trained = train('--ignore-columns', '1');
      assert.equal(trained.code, 0, trained.stderr);
      const named = JSON.parse(boundless('evaluate', '--model', model, '--test', source, '--header', '--label-column', '4', '--ignore-columns', '1').stdout);
      const defaulted = JSON.parse(boundless('evaluate', '--model', model, '--test', source, '--header').stdout);
      assert.ok(named.binary_classification_accuracy > 0.95, JSON.stringify(named));
      assert.deepEqual(defaulted, named);
      // Without the label column, the row names are still the first column: predict places them so.
      const withLabels = boundless('predict', '--model', model, '--input', source, '--header', '--label-size', '1');
      const without = boundless('predict', '--model', model, '--input', join(directory, 'row-names-unlabelled.csv'), '--header');
      assert.equal(withLabels.code, 0, withLabels.stderr);
      assert.equal(without.code, 0, without.stderr);
      assert.equal(withLabels.stdout, without.stdout);
      const usage: [string[], string][] = [
        [['--ignore-columns', '0'], 'train: --ignore-columns takes column numbers counted from 1 (to 16777216), separated by commas (1 or 1,4), or none, got "0"'],
        [['--ignore-columns', '1,1'], 'train: --ignore-columns names column 1 twice'],
        [['--ignore-columns', '4'], "train: --ignore-columns names the label's column (4): name the label with --label-column N, or read rows without one with --label-size 0"],
      ];
      for (const [extra, message] of usage) {
        const result = train(...extra);
        assert.equal(result.code, 2, extra.join(' '));
        assert.equal(result.stderr.trim().split('\n').pop(), `boundless: ${message}`);
      }
      // A file without the row names: --ignore-columns none reads every column, not the model's.
      const plain = unlabelled.map((line) => line.split(',').slice(1).join(',')).join('\n') + '\n';
      await writeFile(join(directory, 'no-row-names.csv'), plain);
      const lacking = boundless('predict', '--model', model, '--input', join(directory, 'no-row-names.csv'), '--header');
      assert.equal(lacking.code, 1);
      assert.match(lacking.stderr, /line 2: expected 4 columns, found 3; the model reads past a column of each row \(it was trained with --ignore-columns\): --ignore-columns none reads every column of rows that lack them\n$/);
      const none = boundless('predict', '--model', model, '--input', join(directory, 'no-row-names.csv'), '--header', '--ignore-columns', 'none');
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, without.stdout);
      // A named id column that counts the rows is refused too; --ignore-columns none says it is data.
      await writeFile(join(directory, 'with-id.csv'), ['id,a,b,c', ...plain.trim().split('\n').slice(1).map((line, i) => `${i + 1},${line}`)].join('\n') + '\n');
      const idTrain = (...extra: string[]) => boundless('train', 'kmeans', '--train', join(directory, 'with-id.csv'), '--header', '--hp', 'k=2',
        '--model-dir', join(directory, 'with-id-model'), ...extra);
      const idRefused = idTrain();
      assert.equal(idRefused.code, 1);
      assert.match(idRefused.stderr, /with-id\.csv, line 1: column 1 has the header cell "id" and its values count the rows \(1, 2, 3, …\): .*if it is data, say so with --ignore-columns none \(ignoreColumns: \[\]\)\n$/);
      const idKept = idTrain('--ignore-columns', 'none');
      assert.equal(idKept.code, 0, idKept.stderr);
      assert.equal(JSON.parse(idKept.stdout).metrics.records, 400);
      // The model keeps "none": predict and evaluate take the id column as data without being told again.
      const idPredicted = boundless('predict', '--model', join(directory, 'with-id-model'), '--input', join(directory, 'with-id.csv'), '--header');
      assert.equal(idPredicted.code, 0, idPredicted.stderr);
      assert.equal(idPredicted.stdout.trim().split('\n').length, 400);
      assert.equal(idTrain('--ignore-columns', '1').code, 0);
      // An unsupervised model trained on labelled rows keeps the label's column for evaluate --label-size 1.
      const kmeans = join(directory, 'row-names-kmeans');
      const clustered = boundless('train', 'kmeans', '--train', source, '--header', '--label-column', '4', '--ignore-columns', '1', '--hp', 'k=2', '--model-dir', kmeans);
      assert.equal(clustered.code, 0, clustered.stderr);
      const scored = JSON.parse(boundless('evaluate', '--model', kmeans, '--test', source, '--header', '--label-size', '1').stdout);
      const onUnlabelled = JSON.parse(boundless('evaluate', '--model', kmeans, '--test', join(directory, 'row-names-unlabelled.csv'), '--header', '--label-size', '0').stdout);
      assert.equal(scored.msd, onUnlabelled.msd);
      // Rows with the label are what it trained on: evaluate reads them so by default.
      assert.deepEqual(JSON.parse(boundless('evaluate', '--model', kmeans, '--test', source, '--header').stdout), scored);
      // Other columns read past than the model's move its label column with them (--ignore-columns none on rows without row names).
      const plainLabelled = lines.map((line) => line.split(',').slice(1).join(',')).join('\n') + '\n';
      await writeFile(join(directory, 'no-row-names-labelled.csv'), plainLabelled);
      const noneScored = JSON.parse(boundless('evaluate', '--model', model, '--test', join(directory, 'no-row-names-labelled.csv'), '--header', '--ignore-columns', 'none').stdout);
      assert.deepEqual(noneScored, named);
      // convert writes the other columns and names the ones it read past.
      const converted = boundless('convert', '--input', source, '--format', 'csv', '--header', '--label-column', '4', '--ignore-columns', '1', '--to', 'csv', '--output', '-');
      assert.equal(converted.code, 0, converted.stderr);
      assert.equal(converted.stdout.split('\n')[0], [lines[1].split(',')[3], ...lines[1].split(',').slice(1, 3), lines[1].split(',')[4]].map(Number).join(','));
      assert.equal(JSON.parse(converted.stderr).ignoredColumns, 'column 1 of each row, read past (--ignore-columns)');
      const libsvm = boundless('convert', '--input', source, '--format', 'libsvm', '--feature-dim', '3', '--ignore-columns', '1', '--to', 'csv', '--output', '-');
      assert.equal(libsvm.code, 2);
      assert.equal(libsvm.stderr.trim().split('\n').pop(), 'boundless: convert: --ignore-columns is for CSV (columns by position), not --format libsvm');
    });

    it('reports a bad argument or a bad record in one line and leaves no partial output', async () => {
      const source = join(directory, 'bad.csv');
      await writeFile(source, '1,2,3\n1,2\n');
      const output = join(directory, 'bad.rec');
      const bad = boundless('convert', '--input', source, '--format', 'csv', '--to', 'recordio', '--output', output);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, `boundless: ${source}, line 2: expected 3 columns, found 2\n`);
      await assert.rejects(readFile(output), /ENOENT/);
      const usage = boundless('convert', '--input', source, '--format', 'xml', '--to', 'csv', '--output', '-');
      assert.equal(usage.stderr, 'boundless: convert: --format must be one of csv, libsvm, vw, jsonl, text, recordio, series, got "xml"\n');
      const unknown = boundless('convert', '--inptu', source);
      assert.match(unknown.stderr, /^boundless: convert: unknown option --inptu; known: --input, --format/);
      // An option whose value is missing before another option: said so, not read as that option (then a stray word).
      const missing = boundless('convert', '--input', '--format', 'csv', '--to', 'recordio', '--output', output);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^boundless: convert: --input needs a value \(/);
    });
  });

  it('an argument no option takes is a usage error in every command (an unquoted glob\'s second path was dropped by predict and evaluate, exit 0)', async () => {
    const [a, b] = [join(directory, 'part-a.csv'), join(directory, 'part-b.csv')];
    await writeFile(a, '1,2,3\n0,1,1\n');
    await writeFile(b, '1,2,3\n0,1,1\n');
    const message = (command: string) => `boundless: ${command}: unexpected argument ${JSON.stringify(b)}: each value follows its option (--name value). ` +
      'Several paths from a glob the shell expanded? Quote the glob, as in \'data/*.csv\': boundless expands it itself\n';
    const model = join(directory, 'stray-model');
    for (const [command, args] of [
      ['train', ['train', 'kmeans', '--hp', 'k=1', '--label-size', '0', '--train', a, b, '--model-dir', model]],
      ['predict', ['predict', '--model', join(model, 'model.safetensors'), '--input', a, b]],
      ['evaluate', ['evaluate', '--model', join(model, 'model.safetensors'), '--test', a, b]],
      ['convert', ['convert', '--input', a, b, '--format', 'csv', '--to', 'libsvm', '--output', '-']],
    ] as const) {
      const result = boundless(...args);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.equal(result.stderr, message(command));
    }
    // A --feature-dim past 32-bit indices is a usage error naming the option (the reader's own check named its class, exit 1).
    const wide = boundless('train', 'kmeans', '--hp', 'k=1', '--format', 'libsvm', '--feature-dim', '99999999999', '--train', a);
    assert.equal(wide.code, 2);
    assert.equal(wide.stderr, 'boundless: train: --feature-dim must be at most 4294967296 (2^32: feature indices are 32-bit), got 99999999999\n');
    const wideHp = boundless('train', 'kmeans', '--hp', 'k=1', '--format', 'libsvm', '--hp', 'feature_dim=4294967297', '--train', a);
    assert.equal(wideHp.code, 2);
    assert.equal(wideHp.stderr, 'boundless: kmeans: hyperparameter \'feature_dim\' got "4294967297", expected an integer in [1, 4294967296] or \'auto\'\n');
    // Lines that end in a bare CR (classic Mac OS): one line to the reader; with --header the whole file was the header (0 records, exit 0).
    const cr = join(directory, 'mac.csv');
    await writeFile(cr, 'y,a,b\r1,2,3\r0,1,1\r');
    const macAdvice = `boundless: ${cr}: its lines end in a bare CR, as classic Mac OS and Excel's "CSV (Macintosh)" write them, so it reads as one line: ` +
      "turn them into newlines first, e.g. tr '\\r' '\\n' < in.csv > out.csv\n";
    for (const args of [['convert', '--input', cr, '--format', 'csv', '--header', '--to', 'csv', '--output', '-'], ['train', 'kmeans', '--hp', 'k=1', '--train', cr, '--header']]) {
      const result = boundless(...args);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, macAdvice);
    }
    // job names its subcommand among its words, and says what it expected of them.
    const word = boundless('job', 'status', 'extra', '--cluster', 'redis://127.0.0.1:1', '--job', 'j');
    assert.equal(word.stderr, 'boundless: job: expected one of status, list, delete, fetch, got "status extra"\n');
    // A word that is no path: no advice about globs.
    const stray = boundless('topics', '--model', 'm', 'extra');
    assert.equal(stray.stderr, 'boundless: topics: unexpected argument "extra": each value follows its option (--name value)\n');
  });

  it("evaluate and predict take train's --model-dir as --model; a directory without a model is a clear error", async () => {
    const data = join(directory, 'pm.libsvm');
    await writeFile(data, '-1 1:0.5 2:1\n1 1:1 3:2\n+1 2:1\n-1 3:0.1\n');
    const dir = join(directory, 'pm-model');
    const trained = boundless('train', 'linear-learner', '--train', data, '--format', 'libsvm', '--feature-dim', '3',
      '--hp', 'predictor_type=binary_classifier', '--epochs', '1', '--model-dir', dir);
    assert.equal(trained.code, 0, trained.stderr);
    const evaluated = boundless('evaluate', '--model', dir, '--test', data, '--format', 'libsvm');
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.equal(JSON.parse(evaluated.stdout).records, 4);
    const empty = boundless('predict', '--model', directory + '/nothing-here', '--input', data, '--format', 'libsvm');
    assert.notEqual(empty.code, 0);
    const bare = boundless('predict', '--model', join(directory), '--input', data, '--format', 'libsvm');
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /predict: --model .* is a directory without a model\.safetensors \(pass the file, or the --model-dir of a train\)/);
  });

  it('predict on VW text hashes into the model\'s 2^b buckets without --hash-bits again', async () => {
    const data = join(directory, 'v.vw');
    await writeFile(data, '1 |a x y\n-1 |a z\n1 |b x\n-1 |a w z\n');
    const dir = join(directory, 'vw-model');
    const trained = boundless('train', 'linear-learner', '--train', data, '--format', 'vw', '--hash-bits', '10',
      '--hp', 'predictor_type=binary_classifier', '--epochs', '1', '--model-dir', dir);
    assert.equal(trained.code, 0, trained.stderr);
    const predicted = boundless('predict', '--model', dir, '--input', data, '--format', 'vw');
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.equal(predicted.stdout.trim().split('\n').length, 4);
    const wrong = boundless('predict', '--model', dir, '--input', data, '--format', 'vw', '--hash-bits', '12');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^boundless: predict: the model has 1024 features \(feature_dim\), but --format vw hashes into 2\^12 = 4096: give --hash-bits 10$/m);
    const csvModel = join(directory, 'csv-for-vw');
    await writeFile(join(directory, 'three.csv'), '1,2,3,4\n0,1,2,3\n1,3,4,5\n');
    assert.equal(boundless('train', 'linear-learner', '--train', join(directory, 'three.csv'), '--hp', 'predictor_type=binary_classifier',
      '--epochs', '1', '--model-dir', csvModel).code, 0);
    const notVw = boundless('predict', '--model', csvModel, '--input', data, '--format', 'vw');
    assert.match(notVw.stderr, /the model has 3 features \(feature_dim\), but --format vw hashes into 2\^18 = 262144 \(a model trained on vw rows has a power of two/);
  });

  it('an unusable BOUNDLESS_NUM_THREADS is a warning on stderr, not silence', async () => {
    const data = join(directory, 'threads.csv');
    await writeFile(data, '1,2\n0,1\n1,3\n');
    const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'convert', '--input', data, '--format', 'csv',
      '--to', 'libsvm', '--output', '-'], { encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: 'abc' } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^boundless: warning: BOUNDLESS_NUM_THREADS=abc is not an integer from 1 to 1024; using \d+$/m);
    assert.equal(result.stdout, '1 1:2\n0 1:1\n1 1:3\n');
  });

  it('SageMaker metric lines carry measurements, not the selected model index', () => {
    const lines = sageMakerMetricLines({
      phase: 'epoch', epoch: 1, batches: 1, records: 10, bytes: 0, elapsedSeconds: 1, recordsPerSecond: 10, badRecords: {},
      metrics: { progressive_objective_loss: 0.5, best_model: 3 }, validation: { objective_loss: 0.4, selected_model: 3 },
    });
    assert.deepEqual(lines.filter((l) => l.startsWith('#quality_metric')), [
      '#quality_metric: host=algo-1, epoch=0, train progressive_objective_loss <loss>=0.5',
      '#quality_metric: host=algo-1, epoch=0, validation objective_loss <loss>=0.4',
    ]);
  });

  it('SageMaker metric lines say <score> where higher is better, as SageMaker\'s tuning regexes expect', () => {
    const lines = sageMakerMetricLines({
      phase: 'epoch', epoch: 2, batches: 1, records: 10, bytes: 0, elapsedSeconds: 1, recordsPerSecond: 10, badRecords: {},
      metrics: { total_loss: 180.5, npmi: 0.1, tu: 0.8 }, validation: { binary_classification_accuracy: 0.97, roc_auc_score: 0.99, dcg: 0.98, rmse: 2 },
    });
    assert.deepEqual(lines.filter((l) => l.startsWith('#quality_metric')), [
      '#quality_metric: host=algo-1, epoch=1, train total_loss <loss>=180.5',
      '#quality_metric: host=algo-1, epoch=1, train npmi <score>=0.1',
      '#quality_metric: host=algo-1, epoch=1, train tu <score>=0.8',
      '#quality_metric: host=algo-1, epoch=1, validation binary_classification_accuracy <score>=0.97',
      '#quality_metric: host=algo-1, epoch=1, validation roc_auc_score <score>=0.99',
      '#quality_metric: host=algo-1, epoch=1, validation dcg <score>=0.98',
      '#quality_metric: host=algo-1, epoch=1, validation rmse <loss>=2',
    ]);
  });
});
