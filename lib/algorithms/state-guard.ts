// The algorithm objects' methods that take a state (or a model's data) check first that it is
// theirs, and a model's data that its values are finite: a k-means state given to the linear
// learner's finalize failed deep inside with "Cannot read properties of undefined (reading
// 'data')", and a k-means model's data given to its loadModel said "unknown hyperparameter 'k'".
// The message is the one loading a state file of another algorithm gives (state/checkpoint.ts).
import type { Algorithm, ModelData } from './types.js';

/** The contract's methods whose first argument is a state, and whether each returns a promise always. */
const stateMethods: Record<string, boolean> = {
  update: true, finalize: false, endPass: false, beginRun: false, checkTrainingData: false, dataWarnings: false,
  createStateValidator: false, progressiveMetrics: false, prepareUpload: false,
};

/**
 * Throws a RangeError unless `value` (a State or a ModelData) is of `algorithm`. `where` names the
 * method: "linear-learner finalize: the state holds algorithm 'kmeans', expected 'linear-learner'".
 */
export function requireStateOf(algorithm: string, where: string, value: unknown, what = 'the state'): void {
  const held = (value as { algorithm?: unknown } | null | undefined)?.algorithm;
  if (held === algorithm) return;
  throw new RangeError(held === undefined
    ? `${algorithm} ${where}: ${what} is not a ${what === 'the state' ? 'State' : 'ModelData'} (it has no algorithm name)`
    : `${algorithm} ${where}: ${what} holds algorithm '${String(held)}', expected '${algorithm}'`);
}

/**
 * Every floating-point value of a model is finite: training refuses a model that is not (a diverged
 * network, an overflowed sum), so one here was edited or damaged since, and it predicted silently
 * wrong (a linear learner's or factorization machine's scores null, a k-means centre of NaN never
 * nearest, with exit 0). The file's checksum covers the tensors' bytes, which such an edit recomputes.
 */
function requireFiniteValues(algorithm: string, data: ModelData): void {
  // A number in the scalars is finite too: JSON holds no ∞, so a -1e999 there (read as −∞) was put
  // in by hand (a linear learner's threshold of −∞ predicted every row 1).
  for (const [name, value] of Object.entries(data.scalars ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RangeError(`${algorithm}: the model's scalar ${name} is ${value}: a trained model's numbers are finite, so the file was damaged or edited; train it again`);
    }
  }
  for (const [name, tensor] of Object.entries(data.tensors ?? {})) {
    const values = tensor?.data;
    if (!(values instanceof Float32Array || values instanceof Float64Array)) continue;
    const at = values.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) {
      throw new RangeError(`${algorithm}: the model's ${name}[${at}] is ${values[at]}: a trained model holds finite values, so it diverged or the file was damaged; train it again`);
    }
  }
}

/**
 * Wraps, in place, the methods of `algorithm` that take a state first (the contract's and the
 * `extra` ones: `async` true for those that return a promise, which then rejects rather than
 * throws) and loadModel, so each refuses another algorithm's state by name. Returns `algorithm`.
 */
export function guardStates<A extends Pick<Algorithm, 'name'>>(algorithm: A, extra: Record<string, boolean> = {}): A {
  const methods = algorithm as unknown as Record<string, unknown>;
  for (const [name, async] of Object.entries({ ...stateMethods, ...extra })) {
    const method = methods[name];
    if (typeof method !== 'function') continue;
    methods[name] = function (this: unknown, state: unknown, ...rest: unknown[]) {
      try {
        requireStateOf(algorithm.name, name, state);
      } catch (error) {
        if (async) return Promise.reject(error);
        throw error;
      }
      return method.call(this, state, ...rest);
    };
  }
  const loadModel = methods.loadModel;
  methods.loadModel = function (this: unknown, data: unknown, ...rest: unknown[]) {
    requireStateOf(algorithm.name, 'loadModel', data, 'the model data');
    requireFiniteValues(algorithm.name, data as ModelData);
    return (loadModel as (...args: unknown[]) => unknown).call(this, data, ...rest);
  };
  return algorithm;
}
