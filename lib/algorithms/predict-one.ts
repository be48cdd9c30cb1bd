// What predictOne (one row, computed in JavaScript for a caller that cannot
// wait for a batch) checks as a batch's predict does in the native kernels:
// the row's width, finite features, and a raw score float32 can hold — predict
// outputs float32, and an infinite or NaN score was handed back silently.

/** Throws a RangeError naming `what` unless the row has `dim` finite features. */
export function checkPredictRow(what: string, features: Float32Array, dim: number): void {
  const given = features as unknown;
  if (!ArrayBuffer.isView(given) && !Array.isArray(given)) {
    throw new TypeError(`${what}: features must be a Float32Array (or an array of numbers) of ${dim}, got ${given === null ? 'null' : typeof given}`);
  }
  if (features.length !== dim) throw new RangeError(`${what}: got ${features.length} features, expected ${dim}`);
  for (let j = 0; j < dim; j++) {
    const value = features[j] as unknown;
    if (typeof value !== 'number') throw new TypeError(`${what}: feature ${j} is ${typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value)}; features must be numbers`);
    if (!Number.isFinite(value)) throw new RangeError(`${what}: feature ${j} is ${value}; features must be finite`);
  }
}

/** A raw score (regression, hinge) as float32, as predict outputs it; one past float32's range is an error, as there. */
export function float32Score(what: string, z: number): number {
  const score = Math.fround(z);
  if (Number.isFinite(score)) return score;
  throw new RangeError(`${what}: its score ${Number.isNaN(z) ? 'is not a number' : `of ${z.toPrecision(9)} is past float32's range`} ` +
    '(features or parameters too large for a float32 prediction)');
}

/** The options predict takes; another name is a typo (thresold) that ran with the default, and is an error. */
const predictOptionNames = new Set(['threshold', 'distances']);

export function rejectUnknownPredictOptions(what: string, options: object | undefined): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') {
    // predictOne(row, 0.99) ran with the default threshold.
    throw new TypeError(`${what}: options must be an object such as { threshold: 0.9 }, got ${typeof options === 'string' ? 'the string' : `the ${typeof options}`} ${JSON.stringify(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !predictOptionNames.has(key)) throw new TypeError(`${what}: unknown option '${key}' (predict takes threshold and distances)`);
  }
}
