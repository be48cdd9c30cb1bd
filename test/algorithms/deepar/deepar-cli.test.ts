// DeepAR from the command line as SageMaker users know it: train on JSON Lines series, evaluate
// with SageMaker's protocol and metric names, predict batch-transform lines and endpoint
// requests with timestamps, plots, and the errors a user meets first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../lib/package-root.js';
import { seasonalSeries, seriesJsonLines } from '../../fixtures/series-data.js';

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const small = ['--hp', 'time_freq=M', '--hp', 'prediction_length=6', '--hp', 'context_length=12', '--hp', 'num_cells=12',
  '--hp', 'num_batches_per_epoch=10', '--hp', 'mini_batch_size=32', '--hp', 'learning_rate=0.01'];

describe('deepar command line', () => {
  let directory: string, train: string, test: string, model: string;
  const quantileKeys = ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'];
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-deepar-cli-'));
    [train, test] = [join(directory, 'train.json'), join(directory, 'test.json')];
    const records = seasonalSeries(31, { series: 10, length: 60 });
    await writeFile(train, '\ufeff' + seriesJsonLines(records, 6));
    await writeFile(test, seriesJsonLines(records));
    model = join(directory, 'model');
    const trained = boundless('train', 'deepar', '--train', train, '--test', test, ...small, '--epochs', '4', '--seed', '2', '--model-dir', model, '--sagemaker-metrics');
    assert.equal(trained.code, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout);
    assert.equal(summary.metrics.epochs, 4);
    assert.ok(summary.metrics.test.ND > 0 && summary.metrics.test.ND < 1, JSON.stringify(summary.metrics.test));
    assert.match(trained.stderr, /#quality_metric: host=algo-1, train final_loss <loss>=-?\d/);
    assert.match(trained.stderr, /#test_score \(algo-1, RMSE\): \d/);
    assert.match(trained.stderr, /#quality_metric: host=algo-1, test mean_wQuantileLoss <loss>=\d/);
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('takes epochs as --hp epochs=N (SageMaker requires it) or --epochs N, and says when neither is given', async () => {
    const viaHp = boundless('train', 'deepar', '--train', train, ...small, '--hp', 'epochs=1', '--model-dir', join(directory, 'hp'));
    assert.equal(viaHp.code, 0, viaHp.stderr);
    assert.equal(JSON.parse(viaHp.stdout).metrics.epochs, 1);
    const none = boundless('train', 'deepar', '--train', train, ...small, '--model-dir', join(directory, 'none'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /deepar: hyperparameter 'epochs' is required/);
  });

  it('evaluates with SageMaker\'s protocol and names, deterministic under --seed', () => {
    const run = (seed: string) => boundless('evaluate', '--model', model, '--test', test, '--seed', seed, '--sagemaker-metrics');
    const [a, b, c] = [run('5'), run('5'), run('6')];
    assert.equal(a.code, 0, a.stderr);
    const metrics = JSON.parse(a.stdout);
    assert.deepEqual(Object.keys(metrics), ['model', 'records', 'RMSE', 'ND', ...quantileKeys.map((q) => `wQuantileLoss[${q}]`), 'mean_wQuantileLoss']);
    assert.equal(metrics.records, 10);
    const mean = quantileKeys.reduce((s, q) => s + metrics[`wQuantileLoss[${q}]`], 0) / 9;
    assert.ok(Math.abs(mean - metrics.mean_wQuantileLoss) < 1e-12);
    assert.equal(metrics['wQuantileLoss[0.5]'], metrics.ND, 'wQuantileLoss at the median is ND');
    assert.equal(b.stdout, a.stdout);
    assert.notEqual(JSON.parse(c.stdout).ND, metrics.ND);
    assert.match(a.stderr, /#quality_metric: host=algo-1, test RMSE <loss>=/);
  });

  it('predicts batch-transform lines and endpoint requests, with the horizon\'s timestamps and plots', async () => {
    const input = join(directory, 'requests.json');
    const history = seasonalSeries(31, { series: 2, length: 60 });
    const request = {
      instances: [{ start: '2003-01-15 00:00:00', target: Array.from(history[1].target.subarray(0, 30)), cat: [7] }],
      configuration: { num_samples: 20, output_types: ['mean', 'quantiles', 'samples'], quantiles: ['0.1', '0.9'] },
    };
    await writeFile(input, seriesJsonLines(history.slice(0, 1), 6) + JSON.stringify(request) + '\n');
    const plots = join(directory, 'plots');
    const out = boundless('predict', '--model', model, '--input', input, '--plot', plots, '--seed', '3');
    assert.equal(out.code, 0, out.stderr);
    const [line, response] = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(Object.keys(line), ['timestamps', 'mean', 'quantiles']);
    assert.deepEqual(line.timestamps, ['2004-07-01 00:00:00', '2004-08-01 00:00:00', '2004-09-01 00:00:00', '2004-10-01 00:00:00', '2004-11-01 00:00:00', '2004-12-01 00:00:00']);
    assert.deepEqual(Object.keys(line.quantiles), quantileKeys);
    for (let t = 0; t < 6; t++) assert.ok(line.quantiles['0.1'][t] <= line.quantiles['0.5'][t] && line.quantiles['0.5'][t] <= line.quantiles['0.9'][t]);
    // A series never seen in training (cold start) with a category never embedded: the unseen row.
    const [forecast] = response.predictions;
    assert.equal(forecast.samples.length, 20);
    assert.equal(forecast.samples[0].length, 6);
    assert.deepEqual(Object.keys(forecast.quantiles), ['0.1', '0.9']);
    assert.equal(forecast.timestamps[0], '2005-07-15 00:00:00');
    assert.deepEqual((await readdir(plots)).sort(), ['series-1.svg', 'series-2.svg']);
    const svg = await readFile(join(plots, 'series-1.svg'), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /2004/);
    // The same seed, the same paths.
    assert.equal(boundless('predict', '--model', model, '--input', input, '--seed', '3').stdout, out.stdout);
  });

  it('trains with dynamic features; a forecast needs them over the horizon too', async () => {
    const withFeature = join(directory, 'dynamic.json');
    const records = seasonalSeries(32, { series: 6, length: 40 });
    const feature = (n: number) => Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * t) / 12));
    await writeFile(withFeature, seriesJsonLines(records).trim().split('\n').map((l) => {
      const r = JSON.parse(l);
      return JSON.stringify({ ...r, dynamic_feat: [feature(r.target.length)] });
    }).join('\n') + '\n');
    const dynamicModel = join(directory, 'dynamic-model');
    const trained = boundless('train', 'deepar', '--train', withFeature, ...small, '--epochs', '1', '--model-dir', dynamicModel);
    assert.equal(trained.code, 0, trained.stderr);
    const short = join(directory, 'short-feature.json');
    await writeFile(short, JSON.stringify({ start: '2000-01-01 00:00:00', target: [1, 2, 3, 4, 5, 6, 7, 8], dynamic_feat: [feature(8)] }) + '\n');
    const refused = boundless('predict', '--model', dynamicModel, '--input', short);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /short-feature.json, line 1: "dynamic_feat"\[0\] has 8 values; forecasting needs 14 \(the target's 8 and the 6 of the horizon\)/);
    await writeFile(short, JSON.stringify({ start: '2000-01-01 00:00:00', target: [1, 2, 3, 4, 5, 6, 7, 8], cat: [0], dynamic_feat: [feature(14)] }) + '\n');
    const covered = boundless('predict', '--model', dynamicModel, '--input', short);
    assert.equal(covered.code, 0, covered.stderr);
    assert.equal(JSON.parse(covered.stdout).mean.length, 6);
  });

  it('refuses bad configurations', async () => {
    const input = join(directory, 'bad-request.json');
    await writeFile(input, JSON.stringify({ instances: [{ start: '2003-01-01 00:00:00', target: [1, 2, 3] }], configuration: { num_samples: 0 } }) + '\n');
    const bad = boundless('predict', '--model', model, '--input', input);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad-request.json, line 1: deepar: configuration.num_samples must be an integer in \[1, 100000\], got 0/);
    const usage = boundless('predict', '--model', model, '--input', input, '--configuration', '{"output_types":["median"]}');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /configuration.output_types holds "median"; expected mean, quantiles or samples/);
    // Options that shape rows of features were taken and ignored, the output the same bytes as without them.
    const rows = boundless('predict', '--model', model, '--input', test, '--label-column', '2', '--header');
    assert.equal(rows.code, 2);
    assert.match(rows.stderr, /predict: --label-column, --header are for rows of features; a deepar model reads whole time series \(--format series: DeepAR's JSON Lines\): leave them out/);
    const trainRows = boundless('train', 'deepar', '--train', train, ...small, '--epochs', '1', '--feature-dim', '5', '--model-dir', join(directory, 'unused'));
    assert.equal(trainRows.code, 2);
    assert.match(trainRows.stderr, /train: --feature-dim is for rows of features; deepar reads whole time series \(--format series: DeepAR's JSON Lines\): leave it out/);
  });

  it('names the file and line of each bad training series, or counts and skips them', async () => {
    const bad = join(directory, 'bad.json');
    const good = JSON.parse(seriesJsonLines(seasonalSeries(31, { series: 1, length: 40 })));
    const cases: [string, RegExp][] = [
      [JSON.stringify({ ...good, start: '2003-13-01 00:00:00' }), /"start" "2003-13-01 00:00:00" is not a valid date and time/],
      [JSON.stringify({ ...good, start: 'soon' }), /"start" "soon" is not "YYYY-MM-DD\[ HH:MM\[:SS\]\]"/],
      [JSON.stringify({ ...good, start: '2003-01-01 10:30:00' }), null as never],
      [JSON.stringify({ ...good, target: [1, 2, 3] }), /has 3 values, fewer than prediction_length \(6\); SageMaker drops such series silently, boundless does not/],
      [JSON.stringify({ ...good, target: good.target.map(() => null) }), /has no observed value \(every target is missing\)/],
      [JSON.stringify({ ...good, dynamic_feat: [good.target.slice(1)] }), /"dynamic_feat"\[0\] has 39 values, fewer than the target's 40/],
    ];
    for (const [line, message] of cases.filter(([, m]) => m)) {
      await writeFile(bad, seriesJsonLines(seasonalSeries(31, { series: 3, length: 40 })) + line + '\n');
      const run = boundless('train', 'deepar', '--train', bad, ...small, '--epochs', '1', '--model-dir', join(directory, 'bad-model'));
      assert.equal(run.code, 1, line);
      assert.match(run.stderr, new RegExp(`bad.json, line 4: ${message.source}`));
    }
    // A start off the grid of an hourly frequency: another frequency.
    await writeFile(bad, JSON.stringify({ ...good, start: '2003-01-01 10:30:00' }) + '\n');
    const hourly = boundless('train', 'deepar', '--train', bad, '--hp', 'time_freq=H', '--hp', 'prediction_length=6', '--hp', 'context_length=12', '--epochs', '1', '--model-dir', join(directory, 'bad-model'));
    assert.match(hourly.stderr, /bad.json, line 1: "start" "2003-01-01 10:30:00" is not on the grid of time_freq=H \(whole hours\): a series of another frequency\?/);
    // Categories beyond a given cardinality.
    await writeFile(bad, seriesJsonLines(seasonalSeries(31, { series: 3, length: 40 })));
    const cardinality = boundless('train', 'deepar', '--train', bad, ...small, '--hp', 'cardinality=[2]', '--epochs', '1', '--model-dir', join(directory, 'bad-model'));
    assert.match(cardinality.stderr, /bad.json, line 3: "cat"\[0\] is 2, out of range for cardinality 2 \(ids 0 … 1\)/);
    // Skipped and counted on request.
    await writeFile(bad, seriesJsonLines(seasonalSeries(31, { series: 3, length: 40 })) + JSON.stringify({ ...good, target: [1, 2] }) + '\n');
    const skipped = boundless('train', 'deepar', '--train', bad, ...small, '--epochs', '1', '--on-bad-record', 'skip', '--model-dir', join(directory, 'bad-model'));
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /1 bad record skipped/);
  });

  it('resumes from a checkpoint to the same parameters as an uninterrupted run', async () => {
    const args = ['train', 'deepar', '--train', train, ...small, '--seed', '4'];
    const checkpoints = join(directory, 'checkpoints');
    assert.equal(boundless(...args, '--epochs', '2', '--checkpoint-dir', checkpoints, '--model-dir', join(directory, 'first')).code, 0);
    const resumed = boundless(...args, '--epochs', '3', '--checkpoint-dir', checkpoints, '--resume', '--model-dir', join(directory, 'resumed'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(boundless(...args, '--epochs', '3', '--model-dir', join(directory, 'straight')).code, 0);
    // The tensors after the safetensors header (the header records the epochs each run was asked for).
    const tensors = async (path: string) => {
      const bytes = await readFile(path);
      return bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
    };
    for (const file of ['model.safetensors', 'state.safetensors']) {
      assert.ok((await tensors(join(directory, 'resumed', file))).equals(await tensors(join(directory, 'straight', file))), file);
    }
  });

  it('trains the beta likelihood on values in (0, 1) with padded windows (finite loss, finite forecasts)', async () => {
    const unit = join(directory, 'unit.json');
    await writeFile(unit, Array.from({ length: 3 }, (_, i) => JSON.stringify({
      start: '2020-01-01 00:00:00', target: Array.from({ length: 40 }, (_, t) => Number((0.5 + 0.3 * Math.sin(t / 3 + i)).toFixed(3))),
    })).join('\n') + '\n');
    const trained = boundless('train', 'deepar', '--train', unit, '--hp', 'time_freq=D', '--hp', 'prediction_length=7', '--hp', 'context_length=14',
      '--hp', 'likelihood=beta', '--hp', 'num_batches_per_epoch=5', '--epochs', '2', '--model-dir', join(directory, 'beta'));
    assert.equal(trained.code, 0, trained.stderr);
    assert.ok(Number.isFinite(JSON.parse(trained.stdout).metrics.train.loss));
    const forecast = JSON.parse(boundless('predict', '--model', join(directory, 'beta'), '--input', unit).stdout.split('\n')[0]);
    assert.ok(forecast.mean.every((v: number) => v > 0 && v < 1), JSON.stringify(forecast.mean));
  });

  it('refuses values beyond float32, "cat" appearing after series without, and says where', async () => {
    const bad = join(directory, 'bad2.json');
    const good = JSON.parse(seriesJsonLines(seasonalSeries(31, { series: 1, length: 40, categories: 0 })));
    await writeFile(bad, JSON.stringify({ ...good, target: [1, 2, 1e39, ...good.target.slice(3)] }) + '\n');
    const huge = boundless('train', 'deepar', '--train', bad, ...small, '--epochs', '1', '--model-dir', join(directory, 'bad2'));
    assert.match(huge.stderr, /bad2.json, line 1: "target"\[2\] is 1e\+39, beyond float32's range/);
    await writeFile(bad, JSON.stringify(good) + '\n' + JSON.stringify({ ...good, cat: [1] }) + '\n');
    const late = boundless('train', 'deepar', '--train', bad, ...small, '--epochs', '1', '--model-dir', join(directory, 'bad2'));
    assert.match(late.stderr, /bad2.json, line 2: has 1 "cat" values; the series before had 0/);
  });

  it('predict skips bad lines on request, names a request\'s instance, and refuses a --plot that cannot be a directory', async () => {
    const input = join(directory, 'mixed.json');
    const series = seriesJsonLines(seasonalSeries(31, { series: 1, length: 30 })).trim();
    await writeFile(input, series + '\nnot json\n' + JSON.stringify({ instances: [JSON.parse(series), { start: 'soon', target: [1] }] }) + '\n' + series + '\n');
    const failed = boundless('predict', '--model', model, '--input', input);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /mixed.json, line 2: not valid JSON/);
    const skipped = boundless('predict', '--model', model, '--input', input, '--on-bad-record', 'skip');
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(skipped.stdout.trim().split('\n').length, 2);
    assert.match(skipped.stderr, /skipped 2 bad series \(bad_series 2\)/);
    // Every line bad: an error, as for other models, and no output file (it exited 0 with an empty one).
    const allBad = join(directory, 'all-bad.json');
    await writeFile(allBad, 'not json\n{"start": "soon", "target": [1]}\n');
    const output = join(directory, 'all-bad.forecasts');
    const plots = join(directory, 'all-bad-plots');
    const none = boundless('predict', '--model', model, '--input', allBad, '--on-bad-record', 'skip', '--output', output, '--plot', plots);
    assert.deepEqual([none.code, none.stderr], [1, `boundless: predict: no series in ${allBad}: all 2 series read were skipped as bad (bad_series 2); is the data in the format given?\n`]);
    assert.equal(existsSync(output), false);
    assert.equal(existsSync(plots), false, 'no empty --plot directory is left behind');
    // train says series too (it said records).
    const trainedOnNone = boundless('train', 'deepar', '--train', allBad, ...small, '--epochs', '1', '--on-bad-record', 'skip', '--model-dir', join(directory, 'all-bad-model'));
    assert.deepEqual([trainedOnNone.code, trainedOnNone.stderr.split('\n').at(-2)], [1,
      `boundless: train: no series in the training channel (${allBad}): all 2 series read were skipped as bad (bad_series 2); is the data in the format given?`]);
    const evaluated = boundless('evaluate', '--model', model, '--test', allBad, '--on-bad-record', 'skip');
    assert.equal(evaluated.code, 1);
    assert.match(evaluated.stderr, new RegExp(`^boundless: evaluate: no series in ${allBad.replace(/[.]/g, '\\.')}: all 2 series read were skipped as bad \\(`));
    await writeFile(input, JSON.stringify({ instances: [JSON.parse(series), { start: 'soon', target: [1] }] }) + '\n');
    assert.match(boundless('predict', '--model', model, '--input', input).stderr, /mixed.json, line 1, instance 2: "start" "soon" is not/);
    for (const command of [['predict', '--input'], ['evaluate', '--test']]) {
      const other = boundless(command[0], '--model', model, command[1], input, '--format', 'libsvm');
      assert.deepEqual([other.code, other.stderr], [2, `boundless: ${command[0]}: a deepar model reads time series (--format series: DeepAR's JSON Lines), not --format libsvm\n`]);
    }
    const file = join(directory, 'a-file');
    await writeFile(file, '');
    assert.match(boundless('predict', '--model', model, '--input', train, '--plot', file).stderr, /predict: --plot .*a-file is a file, not a directory/);
    assert.match(boundless('predict', '--model', model, '--input', train, '--plot', join(directory, 'no', 'such')).stderr, /is in a directory that does not exist/);
  });

  it('refuses what DeepAR does not do in this release: several workers, rows of features', () => {
    const workers = boundless('train', 'deepar', '--train', train, ...small, '--epochs', '1', '--workers', '2');
    assert.equal(workers.code, 2);
    assert.match(workers.stderr, /deepar trains in one process in this release \(no --workers, no --cluster\)/);
    const csv = boundless('train', 'deepar', '--train', train, ...small, '--epochs', '1', '--format', 'csv');
    assert.equal(csv.code, 2);
    assert.match(csv.stderr, /deepar reads time series \(--format series: DeepAR's JSON Lines\), not --format csv/);
  });
});
