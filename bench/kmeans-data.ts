// Data for the k-means (and PCA) benchmarks: Fashion-MNIST (Zalando Research, MIT
// License) from Debian's dataset-fashion-mnist package — 28×28 grey pixels, scaled
// from 0..255 to [0, 1]: 784 dense features. Written once into bench/data/ as CSV
// (no label column) for our reader and as raw float32 for numpy, plus a directory
// that names the CSV ten times (the 10× memory check). k-means uses the 60,000
// training images (fashionTrainData); PCA all 70,000 (fashionData).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataDir } from './linear-learner-data.js';

export const fashionDir = '/usr/share/datasets/fashion-mnist';
export const fashionDim = 784;

export interface FashionFiles { csv: string; f32: string; tenfold: string; rows: number }

function images(path: string): Uint8Array {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path}: not an idx3 image file`);
  const count = view.getUint32(4);
  return bytes.subarray(16, 16 + count * fashionDim);
}

/** All 70,000 images (training and test sets). */
export function fashionData(): FashionFiles {
  return write('fashion', ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'], 70_000);
}

/** The 60,000 training images. */
export function fashionTrainData(): FashionFiles {
  return write('fashion-train', ['train-images-idx3-ubyte.gz'], 60_000);
}

function write(name: string, sources: string[], expectedRows: number): FashionFiles {
  mkdirSync(dataDir, { recursive: true });
  const files = { csv: join(dataDir, `${name}.csv`), f32: join(dataDir, `${name}.f32`), tenfold: join(dataDir, `${name}-10x`), rows: expectedRows };
  if (existsSync(files.f32) && existsSync(files.tenfold)) return files;
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`${fashionDir} is missing: apt-get install dataset-fashion-mnist`);
  }
  const pixels = sources.map((source) => images(join(fashionDir, source)));
  const rows = pixels.reduce((n, p) => n + p.length / fashionDim, 0);
  if (rows !== expectedRows) throw new Error(`${fashionDir}: ${rows} images, expected ${expectedRows}`);
  const values = new Float32Array(rows * fashionDim);
  let offset = 0;
  for (const p of pixels) for (let i = 0; i < p.length; i++) values[offset++] = p[i] / 255;
  writeFileSync(files.f32, Buffer.from(values.buffer));
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    lines.push(Array.from(values.subarray(r * fashionDim, (r + 1) * fashionDim), (v) => (v === 0 ? '0' : v.toPrecision(6))).join(','));
  }
  writeFileSync(files.csv, lines.join('\n') + '\n');
  mkdirSync(files.tenfold, { recursive: true });
  for (let i = 0; i < 10; i++) {
    const link = join(files.tenfold, `part-${i}.csv`);
    if (!existsSync(link)) symlinkSync(files.csv, link);
  }
  return files;
}
