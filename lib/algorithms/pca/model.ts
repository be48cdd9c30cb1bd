// A finalized PCA model, laid out as SageMaker's: `mean` (d), `v` (d × k, one
// component per column) and `s` (k singular values of the centred data), plus
// the explained variance, its ratio and the total variance. predict gives
// `projection`; inverseTransform maps projections back to the input space.
import type { Backend } from '../../backends/registry.js';
import type { Batch } from '../../data/batch.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { saveModel } from '../persistence.js';
import type { Model, ModelData } from '../types.js';

export class PcaModel implements Model {
  readonly algorithm = 'pca';
  readonly featureDim: number;
  readonly components: number;
  /** k × d: component m in row m (v transposed), for the projection kernel. */
  private readonly rows: Float32Array;
  private readonly projectionBias: Float32Array;
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
    this.projectionBias = new Float32Array(k);
    for (let m = 0; m < k; m++) {
      let bias = 0;
      for (let j = 0; j < d; j++) {
        const value = v.data[j * k + m];
        this.rows[m * d + j] = value;
        bias -= this.mean[j] * value;
      }
      this.projectionBias[m] = bias;
    }
  }

  async predict(batch: Batch): Promise<Record<string, Float32Array>> {
    if (batch.cols !== this.featureDim) throw new RangeError(`pca predict: has ${batch.cols} features per row, expected ${this.featureDim}`);
    if (batch.kind === 'sparse') {
      // v is d × k, feature-major: a sparse row adds its features' rows of v.
      const projection = new Float32Array(batch.rows * this.components);
      await loadCoreAddon().sparseLinear(batch, this.modelData.tensors.v.data as Float32Array, this.projectionBias, projection);
      return { projection };
    }
    const projection = await this.backend.run('denseLinear', {
      x: batch.values.subarray(0, batch.rows * batch.cols), w: this.rows, bias: this.projectionBias,
      rows: batch.rows, cols: this.featureDim, models: this.components,
    });
    return { projection };
  }

  /** Rows of k projections back to the input space: projection · vᵀ + mean. */
  async inverseTransform(projection: Float32Array, rows: number): Promise<Float32Array> {
    const v = this.modelData.tensors.v.data as Float32Array;  // d × k: row j holds feature j's weights
    return this.backend.run('denseLinear', { x: projection, w: v, bias: this.mean, rows, cols: this.components, models: this.featureDim });
  }

  predictOne(features: Float32Array): Record<string, Float32Array> {
    if (features.length !== this.featureDim) throw new RangeError(`pca predictOne: got ${features.length} features, expected ${this.featureDim}`);
    const projection = Float32Array.from(this.projectionBias);
    for (let m = 0; m < this.components; m++) {
      let sum = projection[m];
      for (let j = 0; j < this.featureDim; j++) sum += features[j] * this.rows[m * this.featureDim + j];
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
