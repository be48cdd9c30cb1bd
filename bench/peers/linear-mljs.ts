// ml.js ml-logistic-regression: full-batch gradient descent (its only mode), two-class learner.
// argv: train.csv test.csv features steps. Prints one JSON object.
import { Matrix } from 'ml-matrix';
import { exactAuc } from '../auc.js';
import { loadCsv, standardizer } from './dense-table.js';

const [trainPath, testPath, features, steps] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const train = await loadCsv(trainPath, features);
const test = await loadCsv(testPath, features);
// The two-class learner directly (the package's multiclass wrapper would train it twice for two classes).
const { default: TwoClasses } = await import('ml-logistic-regression/src/logreg_2classes.js' as string);
// It has no intercept: a constant column of ones stands in for one.
const toMatrix = (t: { x: Float32Array; rows: number; cols: number }) =>
  new Matrix(Array.from({ length: t.rows }, (_, r) => [...Array.from(t.x.subarray(r * t.cols, (r + 1) * t.cols)), 1]));
const t0 = performance.now();
const scale = standardizer(train);
scale(train);
// Its gradient is a sum over rows, not a mean: the step is scaled by 1/rows.
const model = new TwoClasses({ numSteps: steps, learningRate: 0.5 / train.rows });
model.train(toMatrix(train), Matrix.columnVector(Array.from(train.y)));
const seconds = (performance.now() - t0) / 1000;
scale(test);
const scores = (model as { testScores(x: Matrix): number[] }).testScores(toMatrix(test));
console.log(JSON.stringify({ seconds, auc: exactAuc(scores, test.y), peakRssMb: process.resourceUsage().maxRSS / 1024 }));
