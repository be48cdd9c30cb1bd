// The command line as scripts depend on it: every command answers --help
// with a usage text on stdout; exit status 0 success, 1 error, 2 usage
// error; a reader that goes away (`| head -1`) ends a command quietly;
// output paths that are devices or FIFOs stay what they are; results of
// nothing are an error; backend libraries print nothing into the user's
// terminal.
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../lib/cli/commands.js';
import { packageRoot } from '../lib/package-root.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');

function boundless(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command whose stdout is read up to the first newline and then closed, as `| head -1` does. */
function firstLineThenClose(args: string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, first: out.split('\n')[0], stderr }));
  });
}

describe('command-line contract', function () {
  this.timeout(300_000);
  let directory: string;
  const models: Record<string, string> = {};
  let rows: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-contract-'));
    // 20,000 labelled rows: enough output that a closed reader is noticed mid-stream.
    rows = join(directory, 'rows.csv');
    await writeFile(rows, Array.from({ length: 20_000 }, (_, i) => {
      const a = Math.sin(i * 0.7), b = Math.cos(i * 1.3);
      return `${a > b ? 1 : 0},${a.toFixed(4)},${b.toFixed(4)}`;
    }).join('\n') + '\n');
    for (const [name, hp] of [['linear-learner', ['predictor_type=binary_classifier']], ['factorization-machines', ['predictor_type=binary_classifier', 'num_factors=2']],
      ['kmeans', ['k=3']], ['pca', ['num_components=1']]] as const) {
      const dir = join(directory, name);
      const args = ['train', name, '--train', rows, '--label-size', '1', '--epochs', '1', '--model-dir', dir, ...hp.flatMap((h) => ['--hp', h])];
      const trained = boundless(args);
      assert.equal(trained.code, 0, trained.stderr);
      models[name] = join(dir, 'model.safetensors');
    }
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('every command answers --help, -h and `help <command>` with its usage and every option, on stdout, status 0', () => {
    const names = Object.keys(commands);
    assert.deepEqual(names.sort(), ['backends', 'convert', 'evaluate', 'inspect', 'job', 'predict', 'produce', 'recommend', 'select', 'topics', 'train']);
    for (const name of names) {
      for (const args of [[name, '--help'], [name, '-h'], ['help', name], [name, '--model', 'x', '--help']]) {
        const result = boundless(args);
        assert.equal(result.code, 0, args.join(' '));
        assert.equal(result.stderr, '', args.join(' '));
        assert.match(result.stdout, new RegExp(`^Usage: boundless ${name}\\b`), args.join(' '));
        for (const option of Object.keys(commands[name].options)) assert.ok(result.stdout.includes(`--${option}`), `${name} --help lists --${option}`);
        assert.match(result.stdout, /Exit status: 0 success, 1 error \(bad input, a failed run\), 2 usage error/);
      }
    }
    for (const args of [['--help'], ['-h'], ['help']]) {
      const result = boundless(args);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^Usage: boundless <command> \[options\]\n/);
      for (const name of names) assert.match(result.stdout, new RegExp(`\\n  ${name} `));
    }
  });

  it('exit status: 0 success, 1 error (bad input), 2 usage error (a bad command line)', async () => {
    assert.equal(boundless(['inspect', models.kmeans]).code, 0);
    const usage: string[][] = [[], ['fly'], ['help', 'fly'], ['train'], ['train', 'linear-learner', '--train', rows, '--bogus'],
      ['train', 'nope', '--train', rows], ['predict', '--model', models.kmeans], ['convert', '--input', rows, '--format', 'xml', '--to', 'csv', '--output', '-'],
      ['train', 'kmeans', '--train', rows, '--hp', 'k=zero'], ['inspect'], ['backends', 'extra']];
    for (const args of usage) {
      const result = boundless(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', args.join(' '));
      assert.ok(result.stderr.length > 0, args.join(' '));
    }
    const missing = boundless(['evaluate', '--model', models.kmeans, '--test', join(directory, 'absent.csv')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `boundless: ${join(directory, 'absent.csv')}: no such file or directory\n`);
  });

  it('stops quietly, status 0, when the reader of stdout goes away: predict for every algorithm, convert', async () => {
    for (const [name, model] of Object.entries(models)) {
      const result = await firstLineThenClose(['predict', '--model', model, '--input', rows, '--label-size', '1']);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.equal(result.stderr, '', name);
      assert.ok(JSON.parse(result.first), name);
    }
    const converted = await firstLineThenClose(['convert', '--input', rows, '--format', 'csv', '--to', 'libsvm', '--output', '-']);
    assert.equal(converted.code, 0, converted.stderr);
    assert.equal(converted.stderr, '');
    assert.match(converted.first, /^[01] \d+:/);
  });

  it('writes to /dev/null and to a FIFO directly, leaving them what they were', async function () {
    const before = statSync('/dev/null');
    for (const args of [['convert', '--input', rows, '--format', 'csv', '--to', 'recordio', '--output', '/dev/null'],
      ['predict', '--model', models['linear-learner'], '--input', rows, '--label-size', '1', '--output', '/dev/null']]) {
      const result = boundless(args);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(statSync('/dev/null').isCharacterDevice(), `${args[0]}: /dev/null is still a character device`);
      assert.equal(statSync('/dev/null').ino, before.ino);
    }
    // Model and checkpoint writes go through the same rule (saveModel, saveState, checkpoints).
    const { saveModel, loadModel, kmeans } = await import('../lib/index.js');
    const { createBackend } = await import('../lib/index.js');
    await saveModel('/dev/null', await loadModel(models.kmeans, kmeans, await createBackend('cpu')));
    assert.ok(statSync('/dev/null').isCharacterDevice(), 'saveModel: /dev/null is still a character device');
    assert.equal(statSync('/dev/null').ino, before.ino);
    const fifo = join(directory, 'predictions.fifo');
    execFileSync('mkfifo', [fifo]);
    let received = '';
    const reader = new Promise<void>((resolve, reject) => {
      createReadStream(fifo, 'utf8').on('data', (chunk) => { received += chunk; }).on('end', resolve).on('error', reject);
    });
    const child = spawn(process.execPath, [cli, 'predict', '--model', models.kmeans, '--input', rows, '--label-size', '1', '--output', fifo], { stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('close', resolve));
    await reader;
    assert.equal(code, 0);
    assert.equal(received.trim().split('\n').length, 20_000);
    assert.ok(statSync(fifo).isFIFO());
  });

  it('an --output FIFO whose reader leaves ends quietly, as stdout does; a full device is a one-line error naming it', async function () {
    // Both were an uncaught 'error' event: Node's stack trace, status 1.
    const fifo = join(directory, 'short-reader.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['convert', '--input', rows, '--format', 'csv', '--to', 'csv', '--output', fifo],
      ['predict', '--model', models['linear-learner'], '--input', rows, '--label-size', '1', '--output', fifo]]) {
      // The reader takes the first 100 bytes and closes its end, as `--output >(head -c 100)` does.
      const reader = new Promise<number>((resolve, reject) => {
        let taken = 0;
        const stream = createReadStream(fifo, { highWaterMark: 100 });
        stream.on('data', (chunk) => { taken += chunk.length; stream.destroy(); }).on('close', () => resolve(taken)).on('error', reject);
      });
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => { stderr += chunk; });
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.ok(await reader > 0);
      assert.equal(code, 0, `${args[0]}: ${stderr}`);
      assert.doesNotMatch(stderr, /node:events|Unhandled/, args[0]);
    }
    if (!statSync('/dev/full', { throwIfNoEntry: false })) this.skip();
    for (const args of [['convert', '--input', rows, '--format', 'csv', '--to', 'csv', '--output', '/dev/full'],
      ['predict', '--model', models['linear-learner'], '--input', rows, '--label-size', '1', '--output', '/dev/full']]) {
      const result = boundless(args);
      assert.equal(result.code, 1, args[0]);
      assert.equal(result.stderr, 'boundless: /dev/full: ENOSPC: no space left on device, write\n', args[0]);
    }
  });

  it('a full disk under stdout or --output is status 1 naming it, for forecasts, metrics and inspect too (they ended 0 with the output lost)', async function () {
    if (!statSync('/dev/full', { throwIfNoEntry: false })) this.skip();
    const series = join(packageRoot, 'examples', 'data', 'unemployment', 'train.json');
    const model = join(directory, 'deepar-full');
    const trained = boundless(['train', 'deepar', '--train', series, '--hp', 'time_freq=M', '--hp', 'prediction_length=3', '--hp', 'context_length=6',
      '--hp', 'epochs=1', '--hp', 'num_batches_per_epoch=1', '--hp', 'num_cells=8', '--model-dir', model]);
    assert.equal(trained.code, 0, trained.stderr);
    const toStdout = (args: string[]) => {
      const full = openSync('/dev/full', 'w');
      try {
        const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
        return { code: result.status, stderr: result.stderr };
      } finally {
        closeSync(full);
      }
    };
    const output = boundless(['predict', '--model', model, '--input', series, '--output', '/dev/full']);
    assert.deepEqual([output.code, output.stderr], [1, 'boundless: /dev/full: ENOSPC: no space left on device, write\n']);
    for (const args of [['predict', '--model', model, '--input', series], ['evaluate', '--model', model, '--test', series],
      ['inspect', join(model, 'model.safetensors')]]) {
      const result = toStdout(args);
      assert.deepEqual([result.code, result.stderr.split('\n').filter((l) => l.startsWith('boundless:'))],
        [1, ['boundless: stdout: ENOSPC: no space left on device, write']], args[0]);
    }
  });

  it('evaluate on input without records is an error for every algorithm, never metrics of nothing', async () => {
    const empty = join(directory, 'empty.csv');
    await writeFile(empty, '');
    for (const [name, model] of Object.entries(models)) {
      const result = boundless(['evaluate', '--model', model, '--test', empty, '--feature-dim', '2', '--label-size', '1']);
      if (name === 'pca') {
        assert.equal(result.code, 1);
        assert.match(result.stderr, /^boundless: evaluate: pca has no evaluation metrics\n$/);
        // train says so before training, for a test channel (it failed after the pass) and a validation one (never read).
        for (const channel of ['--test', '--validation']) {
          const trained = boundless(['train', 'pca', '--train', rows, channel, rows, '--hp', 'num_components=1', '--model-dir', join(directory, 'pca-channel')]);
          assert.equal(trained.code, 1);
          assert.match(trained.stderr, channel === '--test' ? /^boundless: train: pca has no evaluation metrics, so a test channel has nothing to measure: leave it out\n$/
            : /^boundless: train: pca has no validation metrics, so a validation channel would not be read: leave it out\n$/);
          assert.doesNotMatch(trained.stderr, /epoch/);
        }
        continue;
      }
      assert.equal(result.code, 1, name);
      assert.equal(result.stdout, '', name);
      assert.equal(result.stderr, `boundless: evaluate: no records in ${empty}\n`, name);
    }
  });

  it('an empty option value (an unset shell variable) is a usage error naming the option', () => {
    const cases: [string[], string][] = [
      [['train', 'linear-learner', '--train', '', '--hp', 'predictor_type=binary_classifier'], "train: --train is empty: give a file, a directory, a glob or '-'"],
      [['train', 'linear-learner', '--train', rows, '--validation=', '--hp', 'predictor_type=binary_classifier'], "train: --validation is empty: give a file, a directory, a glob or '-'"],
      [['evaluate', '--model', models['linear-learner'], '--test', ''], "evaluate: --test is empty: give a file, a directory, a glob or '-'"],
      [['predict', '--model', models['linear-learner'], '--input', rows, '--output', ''], "predict: --output is empty: give a file, or '-' for stdout"],
      [['convert', '--input', '', '--output', '-'], "convert: --input is empty: give a file, a directory, a glob or '-'"],
      // Not only paths: --model-dir '' wrote the model into the working directory, --checkpoint-dir '' trained without checkpoints.
      [['train', 'linear-learner', '--train', rows, '--model-dir', ''], 'train: --model-dir is empty; --model-dir: where model.safetensors and state.safetensors go (default .)'],
      [['train', 'linear-learner', '--train', rows, '--checkpoint-dir='], 'train: --checkpoint-dir is empty; --checkpoint-dir: rolling checkpoints go here'],
      [['evaluate', '--model', '', '--test', rows], "evaluate: --model is empty; --model: a model.safetensors, or the directory train's --model-dir wrote"],
    ];
    for (const [args, message] of cases) {
      const result = boundless(args);
      assert.deepEqual([result.code, result.stderr], [2, `boundless: ${message}\n`], args.join(' '));
    }
  });

  it('a channel whose every record was skipped as bad says so, where an empty one says only "no records"; predict writes no output then', async () => {
    const bad = join(directory, 'all-bad.csv');
    await writeFile(bad, '1,x,2\n0,y,3\n1,z,4\n');
    const why = `no records in ${bad}: all 3 records read were skipped as bad (unparsable_number 3); is the data in the format given?`;
    const trained = boundless(['train', 'linear-learner', '--train', bad, '--hp', 'predictor_type=binary_classifier', '--on-bad-record', 'skip',
      '--model-dir', join(directory, 'all-bad-model')]);
    assert.equal(trained.code, 1);
    assert.equal(trained.stderr.split('\n').at(-2), `boundless: train: ${why.replace(`in ${bad}`, `in the training channel (${bad})`)}`);
    // No model written: the --model-dir the run made is not left behind empty.
    assert.throws(() => statSync(join(directory, 'all-bad-model')), /ENOENT/);
    const evaluated = boundless(['evaluate', '--model', models['linear-learner'], '--test', bad, '--on-bad-record', 'skip']);
    assert.equal(evaluated.code, 1);
    assert.equal(evaluated.stderr, `boundless: evaluate: ${why}\n`);
    // Read from stdin, the input is named as train names it.
    const piped = spawnSync(process.execPath, [cli, 'evaluate', '--model', models['linear-learner'], '--test', '-', '--on-bad-record', 'skip'],
      { encoding: 'utf8', input: await readFile(bad, 'utf8') });
    assert.deepEqual([piped.status, piped.stderr], [1, `boundless: evaluate: ${why.replace(`in ${bad}`, 'in stdin')}\n`]);
    const output = join(directory, 'all-bad.predictions');
    const predicted = boundless(['predict', '--model', models['linear-learner'], '--input', bad, '--on-bad-record', 'skip', '--output', output]);
    assert.equal(predicted.code, 1);
    assert.equal(predicted.stderr, `boundless: predict: ${why}\n`);
    // Labelled rows read without --label-size: skipped for their width, every one; the label is named as the likely reason.
    const labelled = boundless(['predict', '--model', models['linear-learner'], '--input', rows, '--on-bad-record', 'skip', '--output', output]);
    assert.deepEqual([labelled.code, labelled.stderr], [1, `boundless: predict: no records in ${rows}: all 20000 records read were skipped as bad (column_count 20000); ` +
      'is the data in the format given? The model takes 2 features a row: if a column is the label, read it as one: --label-size 1, and --label-column N if it is not the first\n']);
    assert.throws(() => statSync(output), /ENOENT/);
    const converted = boundless(['convert', '--input', bad, '--format', 'csv', '--to', 'libsvm', '--output', output, '--on-bad-record', 'skip']);
    assert.deepEqual([converted.code, converted.stderr], [1, `boundless: convert: ${why}\n`]);
    assert.throws(() => statSync(output), /ENOENT/);
    // More bad records than good: the model is made, and a warning says how few rows it learned from.
    await writeFile(bad, [...Array.from({ length: 15 }, (_, i) => `${i % 2},${i},0.5`), ...Array.from({ length: 29 }, (_, i) => `${i % 2},${i}`), '1,x,2'].join('\n') + '\n');
    const mostly = boundless(['train', 'linear-learner', '--train', bad, '--hp', 'predictor_type=binary_classifier', '--on-bad-record', 'skip',
      '--epochs', '3', '--model-dir', join(directory, 'mostly-bad-model')]);
    assert.equal(mostly.code, 0, mostly.stderr);
    const width = ' Most were skipped for their number of columns: the rows are held to the width of the header, else of the commonest ' +
      'among the first 20 records of the first file, so a file that starts with other rows than the rest is read wrong: put a good row first';
    const warning = `train: 30 of the 45 records (67%) of the training channel (${bad}) were skipped as bad (column_count 29, unparsable_number 1), ` +
      `and the model learned from the 15 left; is the data in the format given?${width}`;
    // Once, after the first pass, not every epoch (beside the one that says each pass of 15 rows is one step).
    assert.deepEqual(mostly.stderr.split('\n').filter((line) => line.startsWith('warning: ') && !line.includes('one optimizer step')), [`warning: ${warning}`]);
    // The validation and test channels: once each (the first validation, then the test), saying what their metrics come from.
    const good = join(directory, 'mostly-good.csv');
    await writeFile(good, Array.from({ length: 40 }, (_, i) => `${i % 2},${i},0.5`).join('\n') + '\n');
    const channels = boundless(['train', 'linear-learner', '--train', good, '--validation', bad, '--test', bad, '--hp', 'predictor_type=binary_classifier',
      '--on-bad-record', 'skip', '--epochs', '3', '--model-dir', join(directory, 'mostly-bad-channels')]);
    assert.equal(channels.code, 0, channels.stderr);
    assert.deepEqual(channels.stderr.split('\n').filter((line) => line.startsWith('warning: ')), ['validation', 'test'].map((name) => 'warning: ' +
      warning.replace('training channel', `${name} channel`).replace('the model learned from', `its ${name} metrics come from`)));
    const some = boundless(['convert', '--input', bad, '--format', 'csv', '--to', 'csv', '--output', '-', '--on-bad-record', 'skip']);
    assert.equal(some.code, 0, some.stderr);
    assert.equal(some.stderr.split('\n')[0], `boundless: warning: ${warning.replace('train: ', 'convert: ').replace(` of the training channel (${bad})`, ` of ${bad}`)
      .replace('the model learned from', 'the output holds')}`);
    // One good record among them: predictions for it, the skips said, exit 0.
    await writeFile(bad, 'x,2\n0.5,3\n');
    const one = boundless(['predict', '--model', models['linear-learner'], '--input', bad, '--on-bad-record', 'skip']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout.trim().split('\n').length, 1);
    // An empty input predicts nothing, and that is not an error.
    const empty = join(directory, 'empty-input.csv');
    await writeFile(empty, '');
    const none = boundless(['predict', '--model', models['linear-learner'], '--input', empty]);
    assert.deepEqual([none.code, none.stdout], [0, '']);
  });

  it('convert keeps row weights where the output holds them (JSON Lines) and says once where it cannot', async () => {
    const weighted = join(directory, 'weighted.jsonl');
    await writeFile(weighted, '{"features":[1,2],"label":1,"weight":3}\n{"features":[3,4],"label":0}\n{"features":[5,6],"label":0,"weight":0.5}\n');
    const jsonl = boundless(['convert', '--input', weighted, '--format', 'jsonl', '--feature-dim', '2', '--to', 'jsonl', '--output', '-']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.equal(jsonl.stdout, '{"features":[1,2],"label":1,"weight":3}\n{"features":[3,4],"label":0}\n{"features":[5,6],"label":0,"weight":0.5}\n');
    for (const to of ['csv', 'libsvm', 'recordio']) {
      const result = boundless(['convert', '--input', weighted, '--format', 'jsonl', '--feature-dim', '2', '--to', to, '--output', join(directory, `w.${to}`)]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, `boundless: convert: 2 of 3 rows have a weight other than 1, which ${to} cannot hold: they were written without it (jsonl keeps weights)\n`);
      assert.equal(JSON.parse(result.stdout).droppedWeights, 2);
    }
    const vw = join(directory, 'importance.vw');
    await writeFile(vw, '1 2 |f a\n-1 |f b\n');
    const fromVw = boundless(['convert', '--input', vw, '--format', 'vw', '--hash-bits', '4', '--to', 'jsonl', '--output', '-']);
    assert.deepEqual(fromVw.stdout.trim().split('\n').map((l) => JSON.parse(l).weight), [2, undefined]);
  });

  it('--max-record-bytes reads records longer than the default; the error and --hp max_record_bytes point to it', async () => {
    const wide = join(directory, 'wide.csv');
    // 200,000 features of 5 or 6 bytes each: a 1.2 MB record, over the default 1 MiB.
    const row = (label: number) => [label, ...Array.from({ length: 200_000 }, (_, i) => String(0.001 + ((i * 7 + label) % 998) / 1000).slice(0, 5))].join(',');
    await writeFile(wide, `${row(0)}\n${row(1)}\n`);
    const refused = boundless(['convert', '--input', wide, '--format', 'csv', '--to', 'csv', '--output', '/dev/null']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `boundless: ${wide}, line 1: record is longer than 1048576 bytes (raise --max-record-bytes, maxRecordBytes in the API)\n`);
    const read = boundless(['convert', '--input', wide, '--format', 'csv', '--to', 'csv', '--output', join(directory, 'wide-copy.csv'), '--max-record-bytes', '4000000']);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(JSON.parse(read.stdout).featureDim, 200_000);
    const numbers = (text: string) => text.trim().split(/[,\n]/).map((v) => Math.fround(Number(v)));
    const [copied, original] = [numbers(await readFile(join(directory, 'wide-copy.csv'), 'utf8')), numbers(`${row(0)}\n${row(1)}`)];
    assert.ok(copied.length === original.length && copied.every((v, i) => v === original[i]), 'the copy holds the same float32 values');
    const hp = boundless(['train', 'pca', '--train', wide, '--hp', 'num_components=1', '--hp', 'max_record_bytes=4000000']);
    assert.equal(hp.code, 2);
    assert.equal(hp.stderr, "boundless: pca: 'max_record_bytes' is a reading option, not a hyperparameter: pass --max-record-bytes N on the command line (data: { maxRecordBytes } in the API)\n");
  });

  it('--output that is stdout (a link to /proc/self/fd/1, or the redirect target) gets the data, the summary goes to stderr, links stay links', async () => {
    const { openSync, closeSync, symlinkSync, lstatSync, readFileSync, writeFileSync } = await import('node:fs');
    const link = join(directory, 'my-stdout');
    symlinkSync('/proc/self/fd/1', link);
    const captured = join(directory, 'captured.csv');
    const fd = openSync(captured, 'w');
    const result = spawnSync(process.execPath, [cli, 'convert', '--input', rows, '--format', 'csv', '--to', 'csv', '--output', link],
      { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    closeSync(fd);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal(readFileSync(captured, 'utf8').trim().split('\n').length, 20_000, 'stdout holds the data and nothing else');
    assert.equal(JSON.parse(result.stderr).records, 20_000, 'the summary went to stderr');
    const target = join(directory, 'target.csv');
    writeFileSync(target, 'old\n');
    symlinkSync(target, join(directory, 'to-target.csv'));
    const viaLink = boundless(['convert', '--input', rows, '--format', 'csv', '--to', 'csv', '--output', join(directory, 'to-target.csv')]);
    assert.equal(viaLink.code, 0, viaLink.stderr);
    assert.ok(lstatSync(join(directory, 'to-target.csv')).isSymbolicLink(), 'a link to a file keeps pointing at it');
    assert.equal(readFileSync(target, 'utf8').trim().split('\n').length, 20_000, 'the file it points at was replaced');
    const missing = boundless(['predict', '--model', models.kmeans, '--input', rows, '--label-size', '1', '--output', join(directory, 'no', 'such', 'p.jsonl')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `boundless: ${join(directory, 'no', 'such', 'p.jsonl')}: cannot write it: the directory ${join(directory, 'no', 'such')} does not exist\n`);
  });

  it('reads a named pipe or /dev/stdin given as a path, as a stream', async () => {
    const fifo = join(directory, 'input.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat '${rows}' > '${fifo}'`]);
    const result = boundless(['convert', '--input', fifo, '--format', 'csv', '--to', 'csv', '--output', '/dev/null']);
    await new Promise((resolve) => writer.on('close', resolve));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).records, 20_000);
    const piped = spawnSync('sh', ['-c', `cat '${rows}' | '${process.execPath}' '${cli}' convert --input /dev/stdin --format csv --to csv --output /dev/null`], { encoding: 'utf8' });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).records, 20_000);
  });

  it('--threshold: classifiers take it (factorization machines too), other models refuse it before reading data (status 2)', () => {
    const labels = (args: string[]) => {
      const result = boundless(['predict', '--model', models['factorization-machines'], '--input', rows, '--label-size', '1', ...args]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { score: number; predicted_label: number });
    };
    const [plain, low] = [labels([]), labels(['--threshold', '0.01'])];
    assert.ok(plain.every((p) => p.predicted_label === (p.score >= 0.5 ? 1 : 0)));
    assert.ok(low.every((p) => p.predicted_label === (p.score >= 0.01 ? 1 : 0)));
    assert.ok(low.filter((p) => p.predicted_label === 1).length > plain.filter((p) => p.predicted_label === 1).length);
    for (const [name, message] of [['kmeans', 'kmeans predict: takes no threshold'], ['pca', 'pca predict: takes no threshold'],
      ['linear-learner', 'linear-learner predict: threshold 1.5 must be a probability in (0, 1) for logistic loss']]) {
      const result = boundless(['predict', '--model', models[name], '--input', rows, '--label-size', '1', '--threshold', name === 'linear-learner' ? '1.5' : '0.5']);
      assert.equal(result.code, 2, name);
      assert.equal(result.stdout, '', name);
      assert.ok(result.stderr.startsWith(`boundless: predict: --threshold: ${message}`), `${name}: ${result.stderr}`);
    }
    // A decimal number: blanks were read as a threshold of 0, and 0x1 as 1.
    for (const value of [' ', '0x1', '1e', '.']) {
      const result = boundless(['predict', '--model', models['factorization-machines'], '--input', rows, '--label-size', '1', '--threshold', value]);
      assert.deepEqual([result.code, result.stderr], [2, `boundless: predict: --threshold expects a number, got ${JSON.stringify(value)}\n`], value);
    }
    assert.deepEqual(labels(['--threshold', ' .01 ']), low);
  });

  it('exit status 2 for every bad command line, with the flag\'s name; 1 for a file that cannot be read', async () => {
    const state = join(directory, 'kmeans', 'state.safetensors');
    const usage: [string[], RegExp][] = [
      [['convert', '--input', rows, '--format', 'csv', '--to', 'csv', '--output', '/dev/null', '--delimiter', 'ab'], /--delimiter must be one byte/],
      [['convert', '--input', rows, '--format', 'vw', '--to', 'csv', '--output', '/dev/null', '--hash-bits', '40'], /--hash-bits must be an integer in \[1, 31\], got 40/],
      [['convert', '--input', rows, '--format', 'libsvm', '--to', 'csv', '--output', '/dev/null'], /--format libsvm needs --feature-dim/],
      [['predict', '--model', join(directory, 'kmeans'), '--input', rows, '--feature-dim', '5'],
        /^boundless: predict: --feature-dim 5, but the model has \d+ features \(feature_dim\): leave --feature-dim out$/m],
      [['train', 'ntm', '--train', rows, '--format', 'series', '--hp', 'num_topics=2'],
        /^boundless: train: --format series is time series, which forecasters \(deepar\) read; ntm reads rows \(csv, libsvm, recordio, jsonl, text, vw\)$/m],
      // --feature-dim with vw was ignored (its rows have 2^--hash-bits features)
      [['convert', '--input', rows, '--format', 'vw', '--hash-bits', '4', '--feature-dim', '10', '--to', 'csv', '--output', '/dev/null'],
        /^boundless: convert: vw hashes features into 2\^--hash-bits buckets \(2\^4 = 16\), but --feature-dim is 10: leave --feature-dim out$/m],
      [['convert', '--input', rows, '--format', 'vw', '--feature-dim', '16', '--to', 'csv', '--output', '/dev/null'],
        /\(2\^18 = 262144\), but --feature-dim is 16: leave --feature-dim out, or give --hash-bits 4 for 16 features$/m],
      [['select', '--state', state, '--k', 'abc', '--model-dir', join(directory, 'sel')], /--k must be an integer >= 1, got "abc"/],
      [['select', '--state', state, '--select', 'bogus=1', '--model-dir', join(directory, 'sel')], /select: .*bogus/],
      [['select', '--state', state, '--k', '5000', '--model-dir', join(directory, 'sel')], /select: kmeans: k=5000 but the state holds/],
      [['train', 'pca', '--train', rows, '--hp', 'num_components=1', '--epochs', '2', '--model-dir', join(directory, 'ep')],
        /^boundless: train: pca takes at most 1 epoch, got 2 \(epochs: one pass/],
      [['select', '--state', state, '--k', '2', '--select', 'k=3', '--model-dir', join(directory, 'sel')],
        /^boundless: select: k given twice \(--k 2 and --select k=3\): give it once$/m],
      [['train', 'kmeans', '--train', rows, '--hp', 'k=2', '--epochs', '99999999999999999999', '--model-dir', join(directory, 'huge')],
        /^boundless: train: --epochs must be at most 2\^53 − 1 \(9007199254740991\), got 99999999999999999999$/m],
      [['train', 'kmeans', '--train', rows, '--hp', 'k=2', '--hp', 'k=3', '--model-dir', join(directory, 'twice')],
        /^boundless: train: --hp k is given twice \(--hp k=2 and --hp k=3\): give it once$/m],
      [['train', 'kmeans', '--train', rows, '--hp', 'k=2', '--sync-every', '4', '--model-dir', join(directory, 'se')],
        /^boundless: train: --sync-every sets how often --workers \(or --cluster members\) merge their states; one process without --workers has nothing to merge/],
      [['train', 'kmeans', '--train', rows, '--hp', 'k=2', '--workers', '1', '--sync-every', '4', '--model-dir', join(directory, 'se')],
        /^boundless: train: --sync-every sets how often --workers \(or --cluster members\) merge their states; one worker \(--workers 1\) has nothing to merge: give --workers 2 or more/],
      // Stdin read by two channels: the second found it empty after a whole epoch of training.
      [['train', 'kmeans', '--train', '-', '--test', '-', '--hp', 'k=2', '--model-dir', join(directory, 'stdin2')],
        /^boundless: train: --train and --test both read stdin \('-'\), which can be read once, by one channel: give the others as files$/m],
      [['train', 'linear-learner', '--train', '-', '--validation', '-', '--test', '-', '--model-dir', join(directory, 'stdin3')],
        /^boundless: train: --train and --validation and --test all read stdin/m],
    ];
    for (const [args, message] of usage) {
      const result = boundless(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const tab = join(directory, 'tab.csv');
    await writeFile(tab, '1\t2\t3\n0\t4\t5\n');
    const tabbed = boundless(['convert', '--input', tab, '--format', 'csv', '--delimiter', '\\t', '--to', 'csv', '--output', '-']);
    assert.equal(tabbed.stdout, '1,2,3\n0,4,5\n', tabbed.stderr);
    for (const args of [['train', 'kmeans', '--train', rows, '--initial-model', join(directory, 'absent')],
      ['train', 'kmeans', '--train', rows, '--hyperparameters', join(directory, 'absent.json')]]) {
      const result = boundless(args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /absent/);
    }
    // A model or state that is not there is named as a missing input file is, not as the system call's ENOENT.
    const absent = join(directory, 'absent', 'model.safetensors');
    for (const args of [['predict', '--model', absent, '--input', rows], ['evaluate', '--model', absent, '--test', rows],
      ['select', '--state', absent, '--k', '2', '--model-dir', join(directory, 'sel')], ['inspect', absent],
      ['train', 'kmeans', '--train', rows, '--initial-state', absent]]) {
      const result = boundless(args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      const prefix = args[0] === 'train' ? 'train: the initial state ' : '';
      assert.equal(result.stderr, `boundless: ${prefix}${absent}: no such file or directory\n`, args.join(' '));
    }
    // A directory where a state file goes is named as one, with the file it holds (it was a bare EISDIR).
    const kmeansDir = join(directory, 'kmeans');
    for (const args of [['select', '--state', kmeansDir, '--k', '2', '--model-dir', join(directory, 'sel')], ['train', 'kmeans', '--train', rows, '--initial-state', kmeansDir]]) {
      const result = boundless(args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      const prefix = args[0] === 'train' ? 'train: the initial state ' : '';
      assert.equal(result.stderr, `boundless: ${prefix}${kmeansDir}: is a directory, not a state or model file (it holds state.safetensors and model.safetensors: ` +
        `pass ${join(kmeansDir, 'state.safetensors')})\n`, args.join(' '));
    }
  });

  it('convert and predict stopped by SIGTERM or SIGINT exit 130, say so, and leave no output file, whole or partial', async () => {
    const big = join(directory, 'convert-big.csv');
    await writeFile(big, Array.from({ length: 400_000 }, (_, i) => `${i % 2},${i},${(i * 0.37).toFixed(3)},${i % 97}`).join('\n') + '\n');
    const { readdir, mkdir } = await import('node:fs/promises');
    const interrupted = new Set<string>();
    // predict left its temporary file (73 MB in helper 89's run), said nothing, and ended 143 on SIGTERM.
    const commands = {
      convert: (out: string) => ['convert', '--input', big, '--format', 'csv', '--to', 'jsonl', '--output', out],
      predict: (out: string) => ['predict', '--model', models['linear-learner'], '--input', big, '--output', out],
    };
    for (const [command, signal] of [['convert', 'SIGTERM'], ['convert', 'SIGINT'], ['predict', 'SIGTERM'], ['predict', 'SIGINT']] as const) {
      const into = join(directory, `${command}-${signal}`);
      await mkdir(into);
      const child = spawn(process.execPath, [cli, ...commands[command](join(into, 'out.jsonl'))]);
      let stderr = '';
      child.stderr.on('data', (chunk) => { stderr += chunk; });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // Signalled once the output has begun (its temporary file exists).
      while ((await readdir(into)).length === 0 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill(signal);
      const code = await exited;
      if (code === 0) continue;  // finished before the signal came: nothing to check this time
      assert.equal(code, 130, stderr);
      assert.match(stderr, new RegExp(`^boundless: ${command}: interrupted; nothing was written to .*out\\.jsonl$`, 'm'));
      assert.deepEqual(await readdir(into), []);
      interrupted.add(command);
    }
    assert.deepEqual([...interrupted].sort(), ['convert', 'predict'], 'a command finished before each of its signals: nothing was tested');
  });

  it('a model of rows refuses --format series in predict and evaluate (a kernel said "batch.values is missing")', async () => {
    const series = join(directory, 'series.json');
    await writeFile(series, '{"start": "2020-01-01 00:00:00", "target": [1, 2, 3]}\n');
    for (const command of ['predict', 'evaluate']) {
      const result = boundless([command, '--model', models.kmeans, command === 'predict' ? '--input' : '--test', series, '--format', 'series']);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `boundless: ${command}: --format series is time series, which forecasters (deepar) read; a kmeans model reads rows (csv, libsvm, recordio, jsonl, vw)\n`);
    }
  });

  it('predict says how many blank lines it read past (the output had fewer lines than the input, without a word)', async () => {
    // libsvm's comment lines are no records either: counted with the blank ones.
    const cases = [
      { name: 'blank-lines.csv', text: '1,0.5,0.5\n\n   \n0,0.3,1\n\n', args: ['--label-size', '1'], said: '3 blank lines' },
      { name: 'commented.svm', text: '1 1:0.5 2:0.5\n# a comment\n\n0 1:0.3 2:1\n', args: ['--format', 'libsvm', '--feature-dim', '2'], said: '2 blank or comment lines' },
    ];
    for (const { name, text, args, said } of cases) {
      const input = join(directory, name);
      await writeFile(input, text);
      const predicted = boundless(['predict', '--model', models.kmeans, '--input', input, ...args]);
      assert.equal(predicted.code, 0, predicted.stderr);
      assert.equal(predicted.stdout.trim().split('\n').length, 2);
      assert.equal(predicted.stderr, `boundless: predict: read past ${said} (no records); the output has one line per record, not per input line\n`);
    }
  });

  it('predict and evaluate say how many bad records --on-bad-record skip left out', async () => {
    const bad = join(directory, 'some-bad.csv');
    await writeFile(bad, '1,0.5,0.5\n0,x,1\n1,0.2,0.1\n0,0.3\n');
    const predicted = boundless(['predict', '--model', models.kmeans, '--input', bad, '--label-size', '1', '--on-bad-record', 'skip']);
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.equal(predicted.stdout.trim().split('\n').length, 2);
    assert.equal(predicted.stderr, 'boundless: predict: skipped 2 bad records (column_count 1, unparsable_number 1); the output has one line per record read, not per input line\n');
    const evaluated = boundless(['evaluate', '--model', models.kmeans, '--test', bad, '--label-size', '1', '--on-bad-record', 'skip']);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.deepEqual(JSON.parse(evaluated.stdout).badRecords, { unparsable_number: 1, column_count: 1 });
    assert.match(evaluated.stderr, /evaluate: skipped 2 bad records .*; the metrics are over the records read/);
    // train's summary counts them too (the last pass's, by reason); a clean run has none to report.
    const trained = boundless(['train', 'kmeans', '--train', bad, '--hp', 'k=1', '--on-bad-record', 'skip', '--epochs', '2', '--model-dir', join(directory, 'skipping')]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.deepEqual(JSON.parse(trained.stdout.trim().split('\n').pop()!).metrics.badRecords, { train: { unparsable_number: 1, column_count: 1 } });
    // The validation and test channels' own, each by name.
    const both = boundless(['train', 'kmeans', '--train', rows, '--validation', bad, '--test', bad, '--hp', 'k=1', '--on-bad-record', 'skip',
      '--epochs', '2', '--model-dir', join(directory, 'skipping-channels')]);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(JSON.parse(both.stdout.trim().split('\n').pop()!).metrics.badRecords,
      { validation: { unparsable_number: 1, column_count: 1 }, test: { unparsable_number: 1, column_count: 1 } });
    const clean = boundless(['train', 'kmeans', '--train', rows, '--hp', 'k=1', '--model-dir', join(directory, 'clean')]);
    assert.equal(JSON.parse(clean.stdout.trim().split('\n').pop()!).metrics.badRecords, undefined);
  });

  it('an interrupted train says where its checkpoint is and how to resume, status 130', async () => {
    const big = join(directory, 'big.csv');
    await writeFile(big, (await readFile(rows, 'utf8')).repeat(20));
    const child = spawn(process.execPath, [cli, 'train', 'linear-learner', '--train', big, '--hp', 'predictor_type=binary_classifier',
      '--hp', 'mini_batch_size=100', '--epochs', '50', '--checkpoint-dir', join(directory, 'ckpt'), '--model-dir', join(directory, 'interrupted')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!sent && /epoch 1 ·/.test(stderr)) sent = child.kill('SIGINT');
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 130);
    assert.match(stderr, /boundless: train: interrupted; the state up to the last batch is in .*ckpt\/checkpoint-\d+\.safetensors: continue with the same command and --resume\n$/);
  });

  it('prints no backend-library noise: backends, import and listBackends are quiet; BOUNDLESS_DEBUG=1 shows it', () => {
    const listed = boundless(['backends']);
    assert.equal(listed.code, 0);
    assert.equal(listed.stderr, '');
    const script = `const m = await import(${JSON.stringify(join(packageRoot, 'dist', 'index.js'))}); await m.listBackends();`;
    const imported = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(imported.stderr, '');
    const webgpu = (JSON.parse(listed.stdout) as { name: string; available: boolean; reason: string }[]).find((b) => b.name === 'webgpu')!;
    const debug = boundless(['backends'], { BOUNDLESS_DEBUG: '1' });
    assert.equal(debug.code, 0);
    for (const line of debug.stderr.split('\n').filter(Boolean)) assert.match(line, /^\[webgpu\] /);
    // Dawn on Mesa's llvmpipe (this project's CI) reports the limits it lowered.
    if (webgpu.available && /llvmpipe/.test(webgpu.reason)) assert.match(debug.stderr, /\[webgpu\] Warning: .*artificially reduced/);
  });
});
