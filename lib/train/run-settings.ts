// The settings of one training run, resolved from the hyperparameters and
// the trainer's options: what the explicit options say wins over the
// algorithm's own hyperparameters (mini_batch_size, feature_dim; epochs, seed and early
// stopping given both ways with other values are refused), and every bad value is an
// error before any data is read; required hyperparameters not given are an initial
// state's. A continued state's hyperparameters re-decide
// what depends on them (settingsOf).
import { vocabularyProblem } from '../algorithms/ntm/vocabulary-words.js';
import { parseHyperparameters, type HyperparameterInput } from '../algorithms/hyperparameters.js';
import type { Algorithm } from '../algorithms/types.js';
import type { Backend } from '../backends/registry.js';
import { resolveBackend } from '../backends/select.js';
import type { ReadOptions } from '../io/read-options.js';
import { readStoredObject } from '../state/checkpoint.js';
import { readSafetensorsMetadata } from '../state/safetensors.js';
import { CheckpointDirectory } from './checkpoint-directory.js';
import type { TrainOptions } from './train.js';

export interface RunSettings {
  hp: Record<string, unknown>;
  /** The hyperparameters the caller gave (snake_case), as opposed to defaults. */
  given: string[];
  backend: Backend;
  epochs: number;
  /** Epochs without improvement before stopping; none: never stop early. */
  patience: number | undefined;
  /** Relative improvement below which an epoch counts as no better. */
  tolerance: number;
  readOptions: ReadOptions;
  directory: CheckpointDirectory | undefined;
}

const numberOr = <T>(value: unknown, fallback: T): number | T => (typeof value === 'number' ? value : fallback);

export async function resolveRunSettings(algorithm: Algorithm, hyperparameters: HyperparameterInput,
  options: TrainOptions): Promise<RunSettings> {
  const input = { ...hyperparameters };
  if (options.seed !== undefined) {
    if (!('seed' in algorithm.hyperparameters)) throw new Error(`train: ${algorithm.name} has no seed hyperparameter`);
    // Given both ways with other values: which was meant is not clear (options.seed used to win silently).
    if (input.seed !== undefined && Number(input.seed) !== options.seed) {
      throw new RangeError(`train: seed is given twice, as hyperparameter seed=${show(input.seed)} and options.seed = ${options.seed}; give one of them`);
    }
    input.seed = options.seed;
  }
  // SageMaker requires DeepAR's epochs (a required hyperparameter); --epochs N (options.epochs) gives it too.
  if (options.epochs !== undefined && input.epochs === undefined && algorithm.hyperparameters.epochs?.required === true) input.epochs = options.epochs;
  const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const given = Object.keys(algorithm.hyperparameters).filter((name) => input[name] !== undefined || input[camel(name)] !== undefined);
  const missing = Object.entries(algorithm.hyperparameters).filter(([name, spec]) => spec.required && !given.includes(name)).map(([name]) => name);
  Object.assign(input, await requiredFromInitialState(algorithm, missing, options.initialState));
  const hp = parseHyperparameters(algorithm.name, algorithm.hyperparameters, input) as Record<string, unknown>;
  refuseTwoValues(given, hp, options);
  const backend = await backendOf(options.backend);
  const derived = settingsOf(algorithm, hp, options);
  checkVocabulary(algorithm, options.vocabulary);
  const directory = options.checkpoint ? new CheckpointDirectory(options.checkpoint.directory, options.checkpoint.keep ?? 3) : undefined;
  if (options.resume && !directory) throw new Error('train: resume needs checkpoint.directory');
  const cacheBytes = options.epochCacheBytes;
  if (cacheBytes !== undefined && (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0)) {
    throw new RangeError(`train: epochCacheBytes must be a whole number of bytes, 0 or more (0: read the files every epoch), got ${show(cacheBytes)}`);
  }
  return { hp, given, backend, ...derived, directory };
}

/** train()'s backend option: a Backend as given (the caller owns it), or one resolved from a name or 'auto'. */
export async function backendOf(choice: TrainOptions['backend']): Promise<Backend> {
  return typeof choice === 'object' ? givenBackend(choice) : resolveBackend(choice);
}

/** A Backend given to train(): checked to be one (a plain object would fail at the first kernel call instead). */
function givenBackend(backend: Backend): Backend {
  if (backend === null || typeof backend.run !== 'function' || typeof backend.name !== 'string' || typeof backend.counters?.snapshot !== 'function' || typeof backend.counters.record !== 'function') {
    throw new TypeError(`train: options.backend must be a backend name (auto, cpu, cuda, webgpu) or a Backend (createBackend), got ${backend === null ? 'null' : 'an object that is neither'}`);
  }
  return backend;
}

/**
 * The required hyperparameters not given (predictor_type, ...) as the initial state was made with
 * them: a state continues with its own hyperparameters, so naming them again adds nothing. Read
 * from the file's header; a state of another algorithm, a model or a damaged header is read whole
 * and checked instead, which throws the error that says which.
 */
async function requiredFromInitialState(algorithm: Algorithm, missing: string[], initial: TrainOptions['initialState']):
  Promise<Record<string, unknown>> {
  // Another algorithm's state is said as such before anything compares its hyperparameters.
  if (initial !== undefined && typeof initial !== 'string' && initial?.algorithm !== algorithm.name) {
    throw new Error(`train: the initial state holds algorithm '${initial?.algorithm}', expected '${algorithm.name}'`);
  }
  if (missing.length === 0 || initial === undefined) return {};
  let stored: Record<string, unknown> | undefined;
  if (typeof initial === 'string') {
    const metadata = await readSafetensorsMetadata(initial).catch((error: Error) => {
      throw new Error(`train: the initial state ${error.message}`);
    });
    stored = metadata.algorithm === algorithm.name ? jsonObject(metadata.hyperparameters) : undefined;
    // Another algorithm's state, a model, a damaged header: the whole file read and checked says
    // which (rather than a required hyperparameter being missing).
    if (!stored) await readStoredObject(initial, { kind: 'state', algorithm: algorithm.name });
  } else {
    stored = initial.hyperparameters as Record<string, unknown>;
  }
  const from = stored ?? {};
  return Object.fromEntries(missing.filter((name) => from[name] !== undefined).map((name) => [name, from[name]]));
}

/** A JSON object's text parsed; undefined for anything else. */
function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A setting given as a hyperparameter and as an option with other values: which one was meant is
 * not clear (the option used to win silently), so it is an error. The same value both ways is
 * fine (a cluster member passes the job's epochs beside the user's hyperparameters).
 */
function refuseTwoValues(given: string[], hp: Record<string, unknown>, options: TrainOptions): void {
  const pairs: [string, number | undefined, string][] = [
    ['epochs', options.epochs, 'options.epochs'],
    ['early_stopping_patience', options.earlyStopping?.patience, 'options.earlyStopping.patience'],
    ['num_patience_epochs', options.earlyStopping?.patience, 'options.earlyStopping.patience'],
    ['early_stopping_tolerance', options.earlyStopping?.tolerance, 'options.earlyStopping.tolerance'],
    ['tolerance', options.earlyStopping?.tolerance, 'options.earlyStopping.tolerance'],
  ];
  for (const [name, option, where] of pairs) {
    if (option === undefined || !given.includes(name) || hp[name] === option) continue;
    throw new RangeError(`train: ${name} is given twice, as hyperparameter ${name}=${show(hp[name])} and ${where} = ${show(option)}; give one of them`);
  }
}

/** A value as a message shows it: a string quoted, so '3' is not taken for 3. */
const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function checkVocabulary(algorithm: Algorithm, vocabulary: TrainOptions['vocabulary']): void {
  if (vocabulary === undefined) return;
  if (!algorithm.takesVocabulary) throw new Error(`train: ${algorithm.name} takes no vocabulary (only ntm names features by words)`);
  if (!Array.isArray(vocabulary) || vocabulary.some((w) => typeof w !== 'string')) throw new TypeError('train: vocabulary must be an array of words (strings)');
  const problem = vocabularyProblem(vocabulary);
  if (!problem) return;
  const word = `train: vocabulary word ${problem.index} is ${JSON.stringify(vocabulary[problem.index])}`;
  if (problem.kind === 'repeat') throw new RangeError(`${word}, as word ${problem.first} is; each word names one feature`);
  throw new RangeError(`${word}; a word is a non-empty string without a newline, a byte-order mark or blanks around it` +
    `${problem.kind === 'blanks' && /\r$/.test(vocabulary[problem.index]) ? " (a CRLF file split at '\\n': split at /\\r?\\n/)" : ''}`);
}

/**
 * Why `epochs` is not a number of passes this algorithm takes, or undefined. --epochs
 * (options.epochs) passes the hyperparameter's own bounds by: PCA's state is a sum, and a second
 * pass counted every row again (singular values √passes too large, and no word said).
 */
export function epochsProblem(algorithm: Algorithm, epochs: number): string | undefined {
  if (!Number.isSafeInteger(epochs) || epochs < 1) return `train: epochs must be a positive integer, got ${show(epochs)}`;
  const epochsSpec = algorithm.hyperparameters.epochs as { max?: number; description?: string } | undefined;
  if (epochsSpec?.max === undefined || epochs <= epochsSpec.max) return undefined;
  return `train: ${algorithm.name} takes at most ${epochsSpec.max} epoch${epochsSpec.max === 1 ? '' : 's'}, got ${epochs}` +
    `${epochsSpec.description ? ` (epochs: ${epochsSpec.description})` : ''}`;
}

/**
 * Why `epochs` passes cannot run with data-parallel workers or cluster members, or undefined. An
 * algorithm whose rounds merge exactly (no mergeRound: k-means' weighted centres) starts every
 * member afresh each round, so a later pass added every row again without refining the first
 * pass's centres: the model was the first pass's with its weights doubled, and no word said.
 */
export function parallelEpochsProblem(algorithm: Algorithm, epochs: number): string | undefined {
  if (epochs <= 1 || algorithm.mergeRound !== undefined) return undefined;
  return `train: ${algorithm.name} takes one epoch with data-parallel workers or cluster members, got ${epochs}: each merge round ` +
    'starts every member from a fresh state and merges the states exactly, so another pass would count every row again ' +
    'rather than refine the first pass\'s model; train one epoch, or several epochs in one process without workers';
}

/**
 * What the hyperparameters decide of a run: its epochs, early stopping and how the channels are
 * read (batch rows, width, classes). Called again with a continued state's hyperparameters, since
 * the state keeps those it was made with and the batches read must fit it.
 */
export function settingsOf(algorithm: Algorithm, hp: Record<string, unknown>, options: TrainOptions):
  Pick<RunSettings, 'epochs' | 'patience' | 'tolerance' | 'readOptions'> {
  const epochs = options.epochs ?? numberOr(hp.epochs, 1);
  // Checked here, before an algorithm rounds it into its own batch rows (the linear learner read
  // 0 and −5 as 32-row batches, without a word), as readBatches and --mini-batch-size check it.
  const asked = options.data?.miniBatchSize;
  if (asked !== undefined && !(Number.isSafeInteger(asked) && asked > 0)) {
    throw new RangeError(`train: data.miniBatchSize must be a positive integer, got ${JSON.stringify(asked)}`);
  }
  const miniBatchSize = algorithm.readBatchRows?.(hp as never, options.data?.miniBatchSize)
    ?? options.data?.miniBatchSize ?? numberOr(hp.mini_batch_size, 1000);
  const problem = epochsProblem(algorithm, epochs);
  if (problem) throw new RangeError(problem);
  // SageMaker names early stopping early_stopping_* in the linear learner and num_patience_epochs / tolerance in NTM.
  const patience = options.earlyStopping?.patience ?? numberOr(hp.early_stopping_patience ?? hp.num_patience_epochs, undefined);
  const tolerance = options.earlyStopping?.tolerance ?? numberOr(hp.early_stopping_tolerance ?? hp.tolerance, 0);
  const featureDim = options.data?.featureDim ?? numberOr(hp.feature_dim, undefined);
  const format = options.data?.format ?? (algorithm.checkSeries ? 'series' : undefined);
  if (algorithm.checkSeries && format !== 'series') {
    throw new RangeError(`train: ${algorithm.name} reads time series (format 'series': DeepAR's JSON Lines), not ${format}`);
  }
  const checkSeries = algorithm.checkSeries;
  // Rows asked for (--mini-batch-size, data.miniBatchSize) are read as asked: checkpoints count them.
  const batchValues = options.data?.batchValues ?? (options.data?.miniBatchSize === undefined ? algorithm.readBatchValues : undefined);
  const readOptions: ReadOptions = {
    ...options.data, ...(format ? { format } : {}), ...(checkSeries ? { series: { check: (record) => checkSeries(hp as never, record) } } : {}),
    seed: options.data?.seed ?? options.seed, featureDim, miniBatchSize,
    ...(batchValues !== undefined ? { batchValues } : {}),
    labelSize: (options.data?.labelSize ?? (algorithm.labelSize > 0 ? 1 : 0)) as 0 | 1,
    labelClasses: options.data?.labelClasses ?? algorithm.labelClasses?.(hp as never),
    featureRange: options.data?.featureRange ?? algorithm.featureRange,
  };
  return { epochs, patience, tolerance, readOptions };
}
