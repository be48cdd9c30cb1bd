// A finalized k-means model: k centres as a plain (k × d) tensor `centers`.
// predict gives SageMaker's closest_cluster and distance_to_cluster
// (Euclidean), and with { distances: true } the distance to every centre.
import type { Backend } from '../../backends/registry.js';
import { runKernel } from '../../backends/run-kernel.js';
import { requireRowBatch, type Batch } from '../../data/batch.js';
import { saveModel } from '../persistence.js';
import { checkPredictRow, rejectUnknownPredictOptions } from '../predict-one.js';
import type { Model, ModelData, PredictOptions } from '../types.js';

export class KmeansModel implements Model {
  readonly algorithm = 'kmeans';
  readonly k: number;
  readonly featureDim: number;
  readonly centers: Float32Array;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    this.featureDim = modelData.schema.featureDim;
    const centers = modelData.tensors.centers;
    if (!centers || !(centers.data instanceof Float32Array) || centers.shape.length !== 2 || centers.shape[1] !== this.featureDim
      || centers.data.length !== centers.shape[0] * this.featureDim || centers.shape[0] < 1) {
      throw new RangeError(`kmeans model: expected Float32 centers [k, ${this.featureDim}]`);
    }
    this.k = centers.shape[0];
    this.centers = centers.data;
  }

  /** Nearest centre and squared distance per row (native, off the event loop); with `all`, every distance. */
  async assign(batch: Batch, all?: Float32Array): Promise<{ nearest: Int32Array; distance2: Float64Array }> {
    const nearest = new Int32Array(batch.rows);
    const distance2 = new Float64Array(batch.rows);
    try {
      await runKernel(this.backend, 'kmeansAssign', { centers: this.centers, count: this.k, dim: this.featureDim, batch, nearest, distance2, all });
    } catch (error) {
      throw new RangeError(`kmeans predict: ${(error as Error).message}`);
    }
    return { nearest, distance2 };
  }

  /** k-means takes `distances` (every centre's distance too); a threshold is for classifiers. */
  checkPredictOptions(options: PredictOptions): void {
    rejectUnknownPredictOptions('kmeans predict', options);
    if (options.threshold !== undefined) throw new RangeError('kmeans predict: takes no threshold (it is for binary classifiers); in the API, predict(batch, { distances: true }) adds every centre\'s distance');
  }

  async predict(batch: Batch, options?: PredictOptions): Promise<Record<string, Float32Array>> {
    requireRowBatch('kmeans predict', batch);
    if (options) this.checkPredictOptions(options);
    const distances = options?.distances ? new Float32Array(batch.rows * this.k) : undefined;
    const { nearest, distance2 } = await this.assign(batch, distances);
    // Plain loops and the typed-array copy: Float32Array.from with a callback took 0.85 s of the event
    // loop for 3M rows (a predict of that batch stalled a service for most of its run).
    const distance = new Float32Array(distance2.length);
    for (let r = 0; r < distance2.length; r++) distance[r] = Math.sqrt(distance2[r]);
    requireFiniteDistances(distance, distance2, nearest, 1);
    if (distances) requireFiniteDistances(distances, undefined, undefined, this.k);
    return {
      closest_cluster: new Float32Array(nearest),
      distance_to_cluster: distance,
      ...(distances ? { distances } : {}),
    };
  }

  predictOne(features: Float32Array): Record<string, number> {
    checkPredictRow('kmeans predictOne', features, this.featureDim);
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < this.k; c++) {
      let sum = 0;
      for (let j = 0; j < this.featureDim; j++) {
        const d = features[j] - this.centers[c * this.featureDim + j];
        sum += d * d;
      }
      if (sum < bestDistance) {
        bestDistance = sum;
        best = c;
      }
    }
    return { closest_cluster: best, distance_to_cluster: Math.sqrt(bestDistance) };
  }

  data(): ModelData {
    return this.modelData;
  }

  save(path: string): Promise<void> {
    return saveModel(path, this);
  }
}

/**
 * A distance float32 cannot hold (features near 3e38) is an error naming the first such row, as
 * PCA's projections and the linear learner's scores are: it was written as null (JSON's infinity)
 * with exit 0. `perRow` distances a row (1: the nearest; k: every centre's, from `distances`).
 */
function requireFiniteDistances(values: Float32Array, distance2: Float64Array | undefined, nearest: Int32Array | undefined, perRow: number): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const row = Math.floor(i / perRow);
    const centre = nearest ? nearest[row] : i % perRow;
    const exact = distance2 ? `, ${Math.sqrt(distance2[row]).toPrecision(3)},` : '';
    throw new RangeError(`kmeans predict: row ${row}: its distance to cluster ${centre}${exact} is past float32's range ` +
      '(features too large for a float32 distance)');
  }
}
