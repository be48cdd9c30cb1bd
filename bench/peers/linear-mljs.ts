// ml.js ml-logistic-regression: full-batch gradient descent (its only mode).
// argv: train.csv test.csv features steps. Prints one JSON object.
import { Matrix } from 'ml-matrix';
import LogisticRegression from 'ml-logistic-regression';
import { exactAuc } from '../auc.js';
import { loadCsv, standardizer } from './dense-table.js';

const [trainPath, testPath, features, steps] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const train = await loadCsv(trainPath, features);
const test = await loadCsv(testPath, features);
const toMatrix = (t: { x: Float32Array; rows: number; cols: number }) =>
  new Matrix(Array.from({ length: t.rows }, (_, r) => Array.from(t.x.subarray(r * t.cols, (r + 1) * t.cols))));
const t0 = performance.now();
const scale = standardizer(train);
scale(train);
const model = new LogisticRegression({ numSteps: steps, learningRate: 5e-5 });
model.train(toMatrix(train), Matrix.columnVector(Array.from(train.y)));
const seconds = (performance.now() - t0) / 1000;
scale(test);
// The one-vs-all classifier of class 0 scores "not class 0", i.e. class 1.
const scores = (model as unknown as { classifiers: { testScores(x: Matrix): number[] }[] }).classifiers[0].testScores(toMatrix(test));
console.log(JSON.stringify({ seconds, auc: exactAuc(scores, test.y), peakRssMb: process.resourceUsage().maxRSS / 1024 }));
