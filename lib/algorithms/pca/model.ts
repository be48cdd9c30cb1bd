// A finalized PCA model, laid out as SageMaker's: `mean` (d), `v` (d × k, one
// component per column) and `s` (k singular values of the centred data), plus
// the explained variance, its ratio and the total variance. predict gives
// `projection`; inverseTransform maps projections back to the input space.
import type { Backend } from '../../backends/registry.js';
import { kindOfArgument, requireRowBatch, type Batch } from '../../data/batch.js';
import { runKernel } from '../../backends/run-kernel.js';
import { saveModel } from '../persistence.js';
import { checkPredictRow } from '../predict-one.js';
import type { Model, ModelData, PredictOptions } from '../types.js';

export class PcaModel implements Model {
  readonly algorithm = 'pca';
  /** A projection is a vector, one component's too: {"projection":[x]}, as for more. */
  readonly vectorOutputs = ['projection'] as const;
  readonly featureDim: number;
  readonly components: number;
  /** k × d: component m in row m (v transposed), for the projection kernel. */
  private readonly rows: Float32Array;
  private readonly mean: Float32Array;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    const { v, mean } = modelData.tensors;
    this.featureDim = modelData.schema.featureDim;
    if (!v || !(v.data instanceof Float32Array) || v.shape.length !== 2 || v.shape[0] !== this.featureDim || v.data.length !== v.shape[0] * v.shape[1]) {
      throw new RangeError(`pca model: expected Float32 v [${this.featureDim}, k]`);
    }
    if (!mean || !(mean.data instanceof Float32Array) || mean.data.length !== this.featureDim) {
      throw new RangeError(`pca model: expected Float32 mean [${this.featureDim}]`);
    }
    this.components = v.shape[1];
    this.mean = mean.data;
    const d = this.featureDim;
    const k = this.components;
    this.rows = new Float32Array(k * d);
    for (let m = 0; m < k; m++) {
      for (let j = 0; j < d; j++) this.rows[m * d + j] = v.data[j * k + m];
    }
  }

  /** PCA takes no request options. */
  checkPredictOptions(options: PredictOptions): void {
    const given = Object.entries(options).filter(([, value]) => value !== undefined).map(([name]) => name);
    if (given.length > 0) throw new RangeError(`pca predict: takes no ${given.join(' or ')} (a PCA model projects rows; it has no threshold or distances)`);
  }

  /** projection [rows × components] = (x − mean) · v, natively, about the mean (accurate however far the data are from 0). */
  async predict(batch: Batch, options: PredictOptions = {}): Promise<Record<string, Float32Array>> {
    requireRowBatch('pca predict', batch);
    this.checkPredictOptions(options);
    if (batch.cols !== this.featureDim) {
      // readBatches takes a CSV's first column for a label unless told labelSize: 0, one column short of an unlabelled model's rows.
      const labelled = batch.labels !== undefined && batch.cols === this.featureDim - 1
        ? ': the batch was read with a label column, which rows for PCA have not: read them with labelSize: 0' : '';
      throw new RangeError(`pca predict: has ${batch.cols} features per row, expected ${this.featureDim}${labelled}`);
    }
    const projection = new Float32Array(batch.rows * this.components);
    try {
      await runKernel(this.backend, 'pcaProject', { model: { rows: this.rows, mean: this.mean }, dim: this.featureDim, components: this.components, batch, out: projection });
    } catch (error) {
      throw new RangeError(`pca predict: ${(error as Error).message}`);
    }
    return { projection };
  }

  /** Rows of k projections back to the input space: projection · vᵀ + mean. */
  async inverseTransform(projection: Float32Array, rows?: number): Promise<Float32Array> {
    if (!(projection instanceof Float32Array)) {
      const got = kindOfArgument(projection, "an object (predict's result? its projection is the Float32Array)");
      throw new TypeError(`pca inverseTransform: projection must be a Float32Array of rows × num_components (${this.components}) values, got ${got}`);
    }
    if (rows === undefined) {
      if (projection.length % this.components !== 0) {
        throw new RangeError(`pca inverseTransform: projection has ${projection.length} values, not a whole number of rows of num_components = ${this.components}`);
      }
      rows = projection.length / this.components;
    }
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new RangeError(`pca inverseTransform: rows must be a whole number (or left out: projection.length / num_components), got ${typeof rows === 'number' ? rows : typeof rows}`);
    }
    if (projection.length !== rows * this.components) {
      throw new RangeError(`pca inverseTransform: projection has ${projection.length} values, expected rows × num_components = ${rows} × ${this.components}`);
    }
    const v = this.modelData.tensors.v.data as Float32Array;  // d × k: row j holds feature j's weights
    return runKernel(this.backend, 'denseLinear', { x: projection, w: v, bias: this.mean, rows, cols: this.components, models: this.featureDim });
  }

  predictOne(features: Float32Array): Record<string, Float32Array> {
    checkPredictRow('pca predictOne', features, this.featureDim);
    const projection = new Float32Array(this.components);
    for (let m = 0; m < this.components; m++) {
      let sum = 0;
      for (let j = 0; j < this.featureDim; j++) sum += (features[j] - this.mean[j]) * this.rows[m * this.featureDim + j];
      if (!Number.isFinite(Math.fround(sum))) {
        throw new RangeError(`pca predictOne: its projection on component ${m}, ${sum.toPrecision(3).replace(/\.?0+e/, 'e')}, is past float32's range ` +
          '(features too large for a float32 projection)');
      }
      projection[m] = sum;
    }
    return { projection };
  }

  data(): ModelData {
    return this.modelData;
  }

  save(path: string): Promise<void> {
    return saveModel(path, this);
  }
}
