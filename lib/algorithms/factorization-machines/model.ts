// A finalized factorization machine: bias `w0`, linear weights `w` (d) and
// factors `v` (d × k, one embedding per feature). predict gives SageMaker's
// `score` (σ(ŷ) for binary, ŷ for regression) and `predicted_label` (binary,
// score ≥ 0.5); recommend ranks candidate items for one user in one native call.
import type { Backend } from '../../backends/registry.js';
import { runKernel } from '../../backends/run-kernel.js';
import type { FmModelArrays } from '../../backends/kernels.js';
import { denseBatch, requireRowBatch, type Batch } from '../../data/batch.js';
import { saveModel } from '../persistence.js';
import { checkPredictRow, float32Score, rejectUnknownPredictOptions } from '../predict-one.js';
import type { Model, ModelData, PredictOptions } from '../types.js';

export interface Recommendations {
  /** Row indices into the candidate batch, best first. */
  indices: Int32Array;
  scores: Float32Array;
}

export class FactorizationMachinesModel implements Model {
  readonly algorithm = 'factorization-machines';
  readonly featureDim: number;
  readonly numFactors: number;
  readonly binary: boolean;
  /** The kernels' view of the model (shared arrays, no copies). */
  readonly arrays: FmModelArrays;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    const { w0, w, v } = modelData.tensors;
    const d = modelData.schema.featureDim;
    if (!w0 || !(w0.data instanceof Float32Array) || w0.data.length !== 1) throw new RangeError('factorization-machines model: expected Float32 w0 [1]');
    if (!w || !(w.data instanceof Float32Array) || w.data.length !== d) throw new RangeError(`factorization-machines model: expected Float32 w [${d}]`);
    if (!v || !(v.data instanceof Float32Array) || v.shape.length !== 2 || v.shape[0] !== d || v.data.length !== d * v.shape[1]) {
      throw new RangeError(`factorization-machines model: expected Float32 v [${d}, k]`);
    }
    this.featureDim = d;
    this.numFactors = v.shape[1];
    this.binary = modelData.scalars.predictor_type === 'binary_classifier';
    this.arrays = { dim: d, k: this.numFactors, bias: w0.data[0], logistic: this.binary, linear: w.data, factors: v.data };
  }

  /** Feature embeddings: d × k, row i is feature i's factor vector (shared, not a copy). */
  get factors(): Float32Array { return this.arrays.factors; }
  /** Linear weights, one per feature. */
  get linear(): Float32Array { return this.arrays.linear; }
  get bias(): number { return this.arrays.bias; }

  /** Binary classifiers take a threshold: the probability at or above which predicted_label is 1 (default 0.5). */
  checkPredictOptions(options: PredictOptions): number {
    rejectUnknownPredictOptions('factorization-machines predict', options);
    if (options.distances) throw new RangeError('factorization-machines predict: distances are for clustering models');
    const given = options.threshold;
    if (given === undefined) return 0.5;
    if (!this.binary) throw new RangeError('factorization-machines predict: threshold applies to binary classifiers only');
    if (!(given > 0 && given < 1)) throw new RangeError(`factorization-machines predict: threshold ${given} must be a probability in (0, 1)`);
    return given;
  }

  async predict(batch: Batch, options: PredictOptions = {}): Promise<Record<string, Float32Array>> {
    requireRowBatch('factorization-machines predict', batch);
    const threshold = this.checkPredictOptions(options);
    const score = new Float32Array(batch.rows);
    const label = this.binary ? new Float32Array(batch.rows) : null;
    try {
      await runKernel(this.backend, 'fmPredict', { model: { ...this.arrays, threshold }, batch, score, label });
    } catch (error) {
      throw new RangeError(`factorization-machines predict: ${(error as Error).message}`);
    }
    return label ? { score, predicted_label: label } : { score };
  }

  predictOne(features: Float32Array, options: PredictOptions = {}): Record<string, number> {
    const threshold = this.checkPredictOptions(options);
    checkPredictRow('factorization-machines predictOne', features, this.featureDim);
    const k = this.numFactors;
    const sum = new Float64Array(k);
    let linear = 0, squares = 0;
    for (let i = 0; i < this.featureDim; i++) {
      const x = features[i];
      if (x === 0) continue;
      linear += this.arrays.linear[i] * x;
      for (let f = 0; f < k; f++) {
        const vx = this.arrays.factors[i * k + f] * x;
        sum[f] += vx;
        squares += vx * vx;
      }
    }
    let pair = -squares;
    for (let f = 0; f < k; f++) pair += sum[f] * sum[f];
    const z = this.arrays.bias + linear + 0.5 * pair;
    if (!this.binary) return { score: float32Score('factorization-machines predictOne', z) };
    const score = Math.fround(1 / (1 + Math.exp(-z)));
    return { score, predicted_label: score >= threshold ? 1 : 0 };
  }

  /**
   * The top `n` of the candidate items for one user: each candidate is scored as the row
   * user ∪ item (the user's part computed once), in one native call.
   */
  async recommend(user: Batch | Float32Array, items: Batch, n: number): Promise<Recommendations> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`factorization-machines recommend: n must be a positive integer, got ${n}`);
    const userBatch = user instanceof Float32Array ? denseBatch(user, this.featureDim) : user;
    requireRowBatch('factorization-machines recommend: user', userBatch);
    requireRowBatch('factorization-machines recommend: items', items);
    const count = Math.min(n, items.rows);
    const indices = new Int32Array(count);
    const scores = new Float32Array(count);
    try {
      await runKernel(this.backend, 'fmRecommend', { model: this.arrays, user: userBatch, items, indices, scores });
    } catch (error) {
      throw new RangeError(`factorization-machines recommend: ${(error as Error).message}`);
    }
    return { indices, scores };
  }

  data(): ModelData {
    return this.modelData;
  }

  save(path: string): Promise<void> {
    return saveModel(path, this);
  }
}
