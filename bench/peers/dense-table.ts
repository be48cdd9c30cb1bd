// Loads a labelled CSV into one dense table (untimed), for the JavaScript
// peers, and standardizes it as the linear learner does by default (mean and
// deviation from the first 10,000 rows).
import { readBatches } from '../../lib/index.js';

export interface DenseTable { x: Float32Array; y: Float32Array; rows: number; cols: number }

export async function loadCsv(path: string, cols: number): Promise<DenseTable> {
  const xs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  for await (const batch of readBatches(path, { format: 'csv', featureDim: cols, miniBatchSize: 10_000 })) {
    if (batch.kind !== 'dense') throw new Error('expected dense rows');
    xs.push(batch.values.slice(0, batch.rows * cols));
    ys.push(batch.labels!.slice(0, batch.rows));
  }
  const rows = ys.reduce((n, y) => n + y.length, 0);
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  let offset = 0;
  for (let i = 0; i < xs.length; i++) {
    x.set(xs[i], offset * cols);
    y.set(ys[i], offset);
    offset += ys[i].length;
  }
  return { x, y, rows, cols };
}

export function standardizer(table: DenseTable, sample = 10_000): (t: DenseTable) => void {
  const n = Math.min(sample, table.rows);
  const mean = new Float64Array(table.cols);
  const square = new Float64Array(table.cols);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < table.cols; c++) {
      const v = table.x[r * table.cols + c];
      mean[c] += v / n;
      square[c] += (v * v) / n;
    }
  }
  const scale = mean.map((m, c) => {
    const deviation = Math.sqrt(Math.max(0, square[c] - m * m));
    return deviation > 1e-12 ? 1 / deviation : 1;
  });
  return (t) => {
    for (let r = 0; r < t.rows; r++) for (let c = 0; c < t.cols; c++) t.x[r * t.cols + c] = (t.x[r * t.cols + c] - mean[c]) * scale[c];
  };
}
