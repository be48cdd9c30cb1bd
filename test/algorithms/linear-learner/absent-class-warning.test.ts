// A multiclass classifier whose training rows lack some of its num_classes says so after the first
// pass: the model never predicts those classes (labels {0, 1, 3} with num_classes=4 trained with
// exit 0 and no word).
import assert from 'node:assert/strict';
import { Random, linearLearner } from '../../../lib/index.js';
import { trainingWarnings } from '../../fixtures/training-warnings.js';

/** Rows of three features whose class is the argmax of three linear scores, class 2 renamed `rename`. */
function rows(seed: number, count: number, rename: number): { label: number; features: number[] }[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const x = [random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
    const scores = [x[0] - x[1], x[1] + 0.5 * x[2], x[2] - x[0]];
    const label = scores.indexOf(Math.max(...scores));
    return { label: label === 2 ? rename : label, features: x };
  });
}

describe('linear learner: classes without rows', function () {
  this.timeout(60_000);
  const hp = (classes: number) => ({ predictor_type: 'multiclass_classifier', num_classes: classes, num_models: 2 });

  it('warns naming the classes of num_classes that no training row holds', async () => {
    const warnings = await trainingWarnings(linearLearner, hp(4), { train: rows(3, 3000, 3), epochs: 1 });
    assert.deepEqual(warnings.filter((w) => w.includes('no rows')), ['linear-learner: num_classes=4 but class 2 has no rows in the training data: ' +
      'the model never predicts it, every row having pushed its scores down. Check the label column, or train with the num_classes the labels use ' +
      '(labels are 0 to num_classes − 1)']);
    const two = await trainingWarnings(linearLearner, hp(6), { train: rows(3, 3000, 3), epochs: 1 });
    assert.match(two.join('\n'), /num_classes=6 but classes 2, 4, 5 have no rows in the training data: the model never predicts them/);
    // Many: how many, and the first few.
    const many = await trainingWarnings(linearLearner, hp(40), { train: rows(3, 3000, 3), epochs: 1 });
    assert.match(many.join('\n'), /num_classes=40 but 37 classes \(2, 4, 5, 6, 7, 8, 9, 10, …\) have no rows in the training data/);
  });

  it('says nothing when every class has rows', async () => {
    const warnings = await trainingWarnings(linearLearner, hp(3), { train: rows(3, 3000, 2), epochs: 1 });
    assert.deepEqual(warnings.filter((w) => w.includes('no rows')), []);
  });
});
