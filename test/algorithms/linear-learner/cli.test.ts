// The README's main job, run as a user runs it: the compiled CLI on the
// bundled breast-cancer data, then evaluate, predict with a threshold and
// re-selection from the saved state.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../lib/package-root.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');
const data = join(packageRoot, 'examples', 'data', 'breast-cancer');

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: packageRoot, encoding: 'utf8' });
  if (result.status !== 0) assert.fail(`boundless ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

describe('linear learner: the main job from the command line', function () {
  this.timeout(120_000);
  let root: string;
  before(async () => { root = await mkdtemp(join(tmpdir(), 'boundless-ll-cli-')); });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  it('trains on the breast-cancer data, then evaluates, predicts and re-selects', () => {
    const model = join(root, 'model');
    const trained = JSON.parse(boundless('train', 'linear-learner', '--train', join(data, 'train.csv'),
      '--validation', join(data, 'validation.csv'), '--hp', 'predictor_type=binary_classifier', '--hp', 'mini_batch_size=32',
      '--seed', '3', '--model-dir', model));
    const validation = trained.metrics.validation;
    assert.ok(validation.binary_classification_accuracy > 0.95, JSON.stringify(validation));
    assert.ok(validation.roc_auc_score > 0.98, JSON.stringify(validation));

    const evaluated = JSON.parse(boundless('evaluate', '--model', join(model, 'model.safetensors'), '--test', join(data, 'validation.csv')));
    assert.equal(evaluated.records, 114);
    for (const name of ['objective_loss', 'binary_classification_accuracy', 'binary_f_beta', 'precision', 'recall', 'roc_auc_score']) {
      assert.equal(typeof evaluated[name], 'number', name);
    }
    assert.ok(evaluated.binary_classification_accuracy > 0.95);

    const predict = (...extra: string[]) => boundless('predict', '--model', join(model, 'model.safetensors'),
      '--input', join(data, 'validation.csv'), '--label-size', '1', ...extra).trim().split('\n').map((l) => JSON.parse(l));
    const plain = predict();
    assert.equal(plain.length, 114);
    assert.deepEqual(Object.keys(plain[0]).sort(), ['predicted_label', 'score']);
    const strict = predict('--threshold', '0.999');
    const positives = (rows: { predicted_label: number }[]) => rows.filter((r) => r.predicted_label === 1).length;
    assert.ok(positives(strict) < positives(plain), `${positives(strict)} vs ${positives(plain)}`);
    for (const [i, row] of strict.entries()) assert.equal(row.predicted_label, row.score >= 0.999 ? 1 : 0, `row ${i}`);

    // Test rows of one class: the AUC is undefined, printed null, and stderr says why (it said nothing).
    const lines = readFileSync(join(data, 'validation.csv'), 'utf8').trim().split('\n');
    const positivesOnly = join(root, 'positives.csv');
    writeFileSync(positivesOnly, lines.filter((l) => l.startsWith('1,')).join('\n') + '\n');
    const oneClass = spawnSync(process.execPath, [cli, 'evaluate', '--model', join(model, 'model.safetensors'), '--test', positivesOnly], { encoding: 'utf8' });
    assert.equal(oneClass.status, 0, oneClass.stderr);
    assert.equal(JSON.parse(oneClass.stdout).roc_auc_score, null);
    assert.equal(oneClass.stderr, 'boundless: evaluate: warning: roc_auc_score is null: the area under the ROC curve ranks positive rows against ' +
      'negative ones, and the test rows held only one class\n');

    const selected = JSON.parse(boundless('select', '--state', join(model, 'state.safetensors'), '--criterion', 'recall_at_target_precision',
      '--model-dir', join(root, 'precise')));
    assert.deepEqual(selected.selection, { criterion: 'recall_at_target_precision' });
    const inspected = JSON.parse(boundless('inspect', join(root, 'precise', 'model.safetensors')));
    assert.equal(inspected.scalars.selection_criterion, 'recall_at_target_precision');
    assert.equal(inspected.scalars.selection_source, 'validation');
  });

  it('names the parameter when the settings do not fit together', () => {
    const result = spawnSync(process.execPath, [cli, 'train', 'linear-learner', '--train', join(data, 'train.csv'),
      '--hp', 'predictor_type=multiclass_classifier', '--model-dir', join(root, 'bad')], { cwd: packageRoot, encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /linear-learner: hyperparameter 'num_classes' is required for multiclass_classifier/);
  });

  it('predict refuses a score past float32\'s range, naming the record of the input (it wrote null, exit 0)', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => [Math.sin(i), Math.cos(i * 0.3)]);
    await writeFile(join(root, 'reg.csv'), rows.map(([a, b]) => `${2 * a - b},${a},${b}`).join('\n') + '\n');
    boundless('train', 'linear-learner', '--train', join(root, 'reg.csv'), '--hp', 'predictor_type=regressor', '--hp', 'num_models=1',
      '--epochs', '1', '--model-dir', join(root, 'reg'));
    const probe = [...rows.slice(0, 1200), [3e38, -3e38], ...rows.slice(0, 5)].map((r) => r.join(',')).join('\n') + '\n';
    await writeFile(join(root, 'probe.csv'), probe);
    const result = spawnSync(process.execPath, [cli, 'predict', '--model', join(root, 'reg', 'model.safetensors'), '--input', join(root, 'probe.csv')],
      { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`^boundless: linear-learner predict: ${join(root, 'probe.csv')}, record 1,201: its score of -?[0-9.]+e\\+38 is past float32's range ` +
      '\\(features or weights too large for a float32 prediction\\)\\n$'));
    // The training file (label first) given to predict without --label-size: the error says what to do.
    const labelled = spawnSync(process.execPath, [cli, 'predict', '--model', join(root, 'reg', 'model.safetensors'), '--input', join(root, 'reg.csv')],
      { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(labelled.status, 1);
    assert.equal(labelled.stderr, `boundless: ${join(root, 'reg.csv')}, line 1: expected 2 columns, found 3 (one more than the features: ` +
      'if a column is the label, read it as one: --label-size 1, and --label-column N if it is not the first; labelSize: 1 and labelColumn in the API)\n');
    // A criterion picks among binary classifiers only: for a regressor it is an error (it was ignored), said once.
    const select = spawnSync(process.execPath, [cli, 'select', '--state', join(root, 'reg', 'state.safetensors'), '--criterion', 'recall_at_target_precision',
      '--model-dir', join(root, 'reg-selected')], { cwd: packageRoot, encoding: 'utf8' });
    assert.equal(select.status, 2, select.stderr);
    assert.equal(select.stderr.split('\n')[0], 'boundless: linear-learner select: criterion applies to binary classifiers only; a regressor is chosen by its loss');
  });
});
