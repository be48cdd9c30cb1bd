// `boundless train <algorithm> --train <path|-> ...` (ARCHITECTURE.md, "Command line").
import { existsSync } from 'node:fs';
import { readFile, rmdir, stat } from 'node:fs/promises';
import { readStoredObject } from '../state/checkpoint.js';
import { readSafetensorsMetadata } from '../state/safetensors.js';
import { CheckpointDirectory } from '../train/checkpoint-directory.js';
import { join } from 'node:path';
import { getAlgorithm, loadAlgorithmModule } from '../algorithms/registry.js';
import type { BackendChoice } from '../backends/select.js';
import { saveModel, saveState } from '../algorithms/persistence.js';
import { maxWorkers, train } from '../distributed/train.js';
import type { TrainOptions } from '../train/train.js';
import { epochsProblem, parallelEpochsProblem } from '../train/run-settings.js';
import type { State } from '../algorithms/types.js';
import { defaultSyncEveryOf, maxSyncSeconds, parseSyncEvery } from '../distributed/sync-policy.js';
import { warnUndefinedMetrics } from './model-commands.js';
import { choiceOption, InterruptedError, integerOption, parseArguments, UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';
import { dataOptions, readOptionsFrom, refuseRowOptions } from './channels.js';
import { createProgressReporter, sageMakerFinalLines } from './progress.js';
import { clusterOptionsFrom, clusterTrainOptions } from './cluster.js';
import { refuseUnsupported, trainOnCluster } from '../distributed/cluster/train.js';
import { redisOptionsFrom, redisTrainOptions } from './redis-options.js';
import { readVocabulary, topicLog } from './topics.js';
import { makeWritableDirectory } from '../io/make-directory.js';
import { isStreamPath } from '../io/sources/files.js';

export const trainOptions: Record<string, OptionSpec> = {
  train: { value: true, required: true, description: "training data: a file, directory, glob, '-' for stdin, or a Redis stream: 'redis://HOST:PORT[/DB]?stream=KEY'" },
  validation: { value: true, description: 'validation data, scored every epoch' },
  test: { value: true, description: 'test data, scored once at the end' },
  hp: { value: true, repeat: true, description: 'a hyperparameter, name=value' },
  hyperparameters: { value: true, description: "a JSON file of hyperparameters (SageMaker's format: values may be strings)" },
  epochs: { value: true, description: 'passes over the training data' },
  'model-dir': { value: true, description: 'where model.safetensors and state.safetensors go (default .)' },
  'checkpoint-dir': { value: true, description: 'rolling checkpoints go here' },
  'checkpoint-every': { value: true, description: 'SECONDS (N or Ns), or Nb for every N batches' },
  'keep-checkpoints': { value: true, description: 'how many checkpoints to keep (default 3)' },
  resume: { description: 'continue from the newest valid checkpoint in --checkpoint-dir' },
  'initial-state': { value: true, description: 'a state file to continue training on the new data' },
  'initial-model': { value: true, description: 'a model directory from an earlier train (its state.safetensors is continued)' },
  workers: { value: true, description: 'data-parallel worker threads, each training on its share of the files (default 1)' },
  'sync-every': { value: true, description: 'workers merge every N (or Nb) batches (each worker\'s; default 8, linear-learner 32) or every Ns seconds; --cluster: default 128, or auto (rounds at most a tenth of the time)' },
  'epoch-cache': { value: true, description: 'MiB of memory for keeping the parsed training and validation data after the first epoch, so later epochs skip parsing (default 512; 0: read the files every epoch)' },
  backend: { value: true, description: 'auto|cpu|cuda|webgpu' },
  seed: { value: true, description: "the algorithm's random seed, and the shuffle buffer's" },
  'shuffle-buffer': { value: true, description: 'train on rows drawn at random from a buffer of N batches (memory: at most N + 3 batches, allocated as they arrive); to undo an order (sorted by cluster or label), N × the mini-batch size should cover the data' },
  deterministic: { description: 'seeded and independent of thread count: a resumed run gives the same model bytes' },
  vocab: { value: true, description: "ntm: vocab.txt, one word per line in feature order (SageMaker's auxiliary channel); sets --feature-dim when that is not given" },
  'sagemaker-metrics': { description: "also print SageMaker's #quality_metric lines on stderr" },
  ...clusterTrainOptions,
  ...redisTrainOptions,
  ...dataOptions,
};

function parseCheckpointEvery(raw: string): { everyBatches?: number; everySeconds?: number } {
  const batches = /^(\d+)b$/.exec(raw);
  if (batches && Number(batches[1]) > 0) return { everyBatches: Number(batches[1]) };
  // Ns too, as --sync-every writes seconds (`--checkpoint-every 1s` was refused).
  const seconds = /^(\d+(\.\d+)?)s?$/.exec(raw);
  if (seconds && Number(seconds[1]) > 0) return { everySeconds: Number(seconds[1]) };
  throw new UsageError(`train: --checkpoint-every must be SECONDS (N or Ns) or Nb (every N batches), got ${JSON.stringify(raw)}`);
}

async function hyperparametersFrom(options: Record<string, unknown>): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  if (typeof options.hyperparameters === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(options.hyperparameters, 'utf8'));
    } catch (error) {
      // A file that cannot be read or parsed is an error of input (status 1), not of the command line.
      throw new Error(`train: --hyperparameters ${options.hyperparameters}: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`train: --hyperparameters ${options.hyperparameters} must hold a JSON object`);
    }
    Object.assign(values, parsed);
  }
  // --hp overrides the file's value; two --hp of one name leave which was meant unclear (the last won).
  const given = new Map<string, string>();
  for (const pair of (options.hp as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`train: --hp expects name=value, got ${JSON.stringify(pair)}`);
    const name = pair.slice(0, eq);
    if (given.has(name)) throw new UsageError(`train: --hp ${name} is given twice (--hp ${given.get(name)} and --hp ${pair}): give it once`);
    given.set(name, pair);
    values[name] = pair.slice(eq + 1);
  }
  return values;
}

/**
 * Epochs and the seed are hyperparameters (SageMaker's) and options: given both ways, which one
 * was meant is not clear (the option used to win silently), so it is an error, whether the values
 * agree or not.
 */
function refuseGivenTwice(options: Record<string, unknown>, hyperparameters: Record<string, unknown>): void {
  for (const name of ['epochs', 'seed']) {
    if (hyperparameters[name] === undefined || options[name] === undefined) continue;
    const fromHp = ((options.hp as string[] | undefined) ?? []).some((pair) => pair.startsWith(`${name}=`));
    const where = fromHp ? `--hp ${name}=${String(hyperparameters[name])}` : `${name} ${JSON.stringify(hyperparameters[name])} in --hyperparameters ${String(options.hyperparameters)}`;
    throw new UsageError(`train: ${name} is given twice, as ${where} and --${name} ${String(options[name])}; give one of them`);
  }
}

/** What a state file's header records of the rows it was trained on: their width, and a CSV's label column and columns read past. */
interface StoredLayout { featureDim?: number; labelColumn?: number; ignoreColumns?: number[] }

/** The layout a state file's header records; an error naming the file when it cannot be read. */
async function layoutOfState(path: string): Promise<StoredLayout> {
  // Said before the data options: a missing state is the problem, not a --feature-dim the state would have given.
  const metadata = await readSafetensorsMetadata(path).catch((error: Error) => {
    throw new Error(`train: the initial state ${error.message}`);
  });
  return layoutOfMetadata(metadata);
}

/**
 * The layout of the newest checkpoint in a --resume's directory whose header can be read (the one
 * the trainer resumes, which skips unreadable ones too), so that a libsvm run restarts with the
 * command that began it; nothing when there is none (the run then starts over).
 */
async function layoutOfCheckpoints(directory: string): Promise<StoredLayout> {
  for (const { path } of await new CheckpointDirectory(directory).list().catch(() => [])) {
    const metadata = await readSafetensorsMetadata(path).catch(() => undefined);
    if (!metadata) continue;
    return layoutOfMetadata(metadata);
  }
  return {};
}

function layoutOfMetadata(metadata: Record<string, string> | undefined): StoredLayout {
  try {
    const { featureDim, labelColumn, ignoreColumns } = JSON.parse(metadata?.schema ?? '') as Record<string, unknown>;
    const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    return {
      ...(whole(featureDim) && featureDim > 0 ? { featureDim } : {}),
      ...(whole(labelColumn) ? { labelColumn } : {}),
      ...(Array.isArray(ignoreColumns) && ignoreColumns.every(whole) ? { ignoreColumns } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * --initial-state FILE, or --initial-model DIR (SageMaker's incremental-training channel): a
 * finalized model cannot continue training, the state written beside it can.
 */
async function initialStateFrom(options: Record<string, unknown>): Promise<string | undefined> {
  const state = options['initial-state'] as string | undefined;
  const model = options['initial-model'] as string | undefined;
  if (state && model) throw new UsageError('train: give --initial-state or --initial-model, not both');
  if (!model) return state;
  const directory = (await stat(model).catch(() => undefined))?.isDirectory() === true;
  const candidate = directory ? join(model, 'state.safetensors') : model;
  if (directory && !existsSync(candidate) && existsSync(join(model, 'model.safetensors'))) {
    // What `select` writes: a model alone.
    throw new Error(`train: --initial-model ${model} holds a model.safetensors and no state.safetensors (as select writes): a finalized ` +
      'model cannot continue training; continue from the state it came from (--initial-state FILE)');
  }
  const stored = await readStoredObject(candidate).catch((error: Error) => {
    throw new Error(`train: --initial-model ${model}: ${error.message}`);
  });
  if (stored.kind === 'model') {
    throw new UsageError(`train: --initial-model ${model} is a finalized model, which cannot continue training; ` +
      'pass the model directory (or the state.safetensors that train wrote beside model.safetensors)');
  }
  return candidate;
}

export async function trainCommand(argv: string[]): Promise<Record<string, unknown>> {
  const { options, positional } = parseArguments('train', argv, trainOptions, 1);
  if (positional.length !== 1) throw new UsageError('train: expected one algorithm name, e.g. boundless train linear-learner --train data.csv');
  for (const path of (options['algorithm-module'] as string[] | undefined) ?? []) await loadAlgorithmModule(path);
  const algorithm = (() => {
    try {
      return getAlgorithm(positional[0]);
    } catch (error) {
      throw new UsageError(`train: ${(error as Error).message}`);
    }
  })();
  const workers = integerOption('train', options, 'workers') ?? 1;
  if (workers < 1 || workers > maxWorkers()) {
    throw new UsageError(`train: --workers must be an integer from 1 to ${maxWorkers()} (4 per core this process may use), got ${workers}`);
  }
  if (options['sync-every'] !== undefined && workers === 1 && options.cluster === undefined) {
    throw new UsageError('train: --sync-every sets how often --workers (or --cluster members) merge their states; ' +
      (options.workers === undefined ? 'one process without --workers has nothing to merge: give --workers N' : 'one worker (--workers 1) has nothing to merge: give --workers 2 or more') +
      ', or leave --sync-every out');
  }
  // Stdin can be read once, by one channel: the second found it empty after a whole epoch of training.
  const fromStdin = (['train', 'validation', 'test'] as const).filter((name) => options[name] === '-');
  if (fromStdin.length > 1) {
    throw new UsageError(`train: ${fromStdin.map((name) => `--${name}`).join(' and ')} ${fromStdin.length === 2 ? 'both' : 'all'} read stdin ('-'), which can be read once, by one channel: give the others as files`);
  }
  const syncEvery = options['sync-every'] === undefined ? undefined : parseSyncEvery(options['sync-every'] as string);
  if (options['sync-every'] !== undefined && !syncEvery && /^\d+b?$/.test(options['sync-every'] as string) && Number(/^\d+/.exec(options['sync-every'] as string)![0]) > 0) {
    throw new UsageError(`train: --sync-every must be at most 2^53 − 1 (9007199254740991) batches, got ${JSON.stringify(options['sync-every'])}`);
  }
  if (options['sync-every'] !== undefined && !syncEvery) {
    throw new UsageError(`train: --sync-every must be N or Nb (batches of each worker), Ns (seconds) or auto (--cluster), got ${JSON.stringify(options['sync-every'])}`);
  }
  if (syncEvery && 'seconds' in syncEvery && syncEvery.seconds > maxSyncSeconds) {
    throw new UsageError(`train: --sync-every must be at most ${maxSyncSeconds}s (24.8 days, a timer's longest delay), got ${JSON.stringify(options['sync-every'])}`);
  }
  if (syncEvery && 'auto' in syncEvery && options.cluster === undefined) {
    throw new UsageError('train: --sync-every auto is for --cluster jobs; workers of one process merge every N batches or Ns seconds');
  }
  if (syncEvery && !('batches' in syncEvery) && options.deterministic === true) {
    throw new UsageError('train: --deterministic merges every N batches: give --sync-every N, not seconds (timed rounds fall at different batches each run)');
  }
  const hyperparameters = await hyperparametersFrom(options);
  refuseGivenTwice(options, hyperparameters);
  const epochs = integerOption('train', options, 'epochs');
  // A number of passes the algorithm cannot take is a bad command line, as --hp epochs=2 is.
  const epochsError = epochs === undefined ? undefined : epochsProblem(algorithm, epochs);
  if (epochsError) throw new UsageError(epochsError);
  const passes = epochs ?? (hyperparameters.epochs === undefined ? undefined : Number(hyperparameters.epochs));
  const parallelError = passes === undefined || (workers === 1 && options.cluster === undefined) ? undefined : parallelEpochsProblem(algorithm, passes);
  if (parallelError) throw new UsageError(parallelError);
  const seed = integerOption('train', options, 'seed', 0);
  // What --vocab is for is said before the file is read: read, it was judged as a vocabulary first.
  const vocabGiven = typeof options.vocab === 'string';
  if (vocabGiven && !algorithm.takesVocabulary) throw new UsageError(`train: --vocab is for topic models (ntm); ${algorithm.name} takes no vocabulary`);
  if (vocabGiven && options.format === 'text') {
    throw new UsageError('train: --vocab names the columns of a bag of words; --format text hashes words into buckets, which the model names by their most frequent words itself');
  }
  const vocabulary = vocabGiven ? await readVocabulary('train', options.vocab as string) : undefined;
  const hpFeatureDim = hyperparameters.feature_dim ?? hyperparameters.featureDim;
  const hyperparameterFeatureDim = hpFeatureDim !== undefined && hpFeatureDim !== 'auto';
  const format = algorithm.checkSeries ? 'series' as const : undefined;
  if (algorithm.checkSeries && options.format !== undefined && options.format !== 'series') {
    throw new UsageError(`train: ${algorithm.name} reads time series (--format series: DeepAR's JSON Lines), not --format ${String(options.format)}`);
  }
  if (!algorithm.checkSeries && options.format === 'series') {
    throw new UsageError(`train: --format series is time series, which forecasters (deepar) read; ${algorithm.name} reads rows (csv, libsvm, recordio, jsonl${algorithm.zeroRowsSayNothing ? ', text' : ''}, vw)`);
  }
  if (algorithm.checkSeries) refuseRowOptions('train', algorithm.name, options);
  if (algorithm.checkSeries && (workers > 1 || options.cluster !== undefined)) {
    throw new UsageError(`train: ${algorithm.name} trains in one process in this release (no --workers, no --cluster): its epochs draw from one window reservoir`);
  }
  const initialState = await initialStateFrom(options);
  // Continued training reads rows of the state's width: --feature-dim need not be given again.
  const stateLayout = initialState ? await layoutOfState(initialState) : {};
  const stateFeatureDim = stateLayout.featureDim;
  const givenFeatureDim = integerOption('train', options, 'feature-dim');
  if (stateFeatureDim !== undefined && givenFeatureDim !== undefined && givenFeatureDim !== stateFeatureDim) {
    throw new UsageError(`train: --feature-dim ${givenFeatureDim}, but the initial state ${initialState} was trained on rows of ${stateFeatureDim} features, ` +
      'and continues on rows of that width (leave --feature-dim out)');
  }
  const checkpointDir = options['checkpoint-dir'] as string | undefined;
  const resumedLayout = options.resume === true && checkpointDir ? await layoutOfCheckpoints(checkpointDir) : {};
  const resumedFeatureDim = resumedLayout.featureDim;
  // A continued state's CSV layout, as evaluate reads a model's: its label column (an unsupervised
  // state's too: its rows had one) and columns read past, moved by another --ignore-columns given.
  const { labelColumn: storedLabelColumn, ignoreColumns: storedIgnored } = initialState ? stateLayout : resumedLayout;
  // Where the width that bounds the rows' indices came from, said with an index beyond it.
  const widthSource = vocabulary ? `the ${vocabulary.length} words of --vocab ${String(options.vocab)}: one word per feature`
    : stateFeatureDim !== undefined ? `the initial state ${initialState}'s width: continued training reads rows of the width it was trained on`
    : resumedFeatureDim !== undefined ? "the resumed checkpoint's width: continued training reads rows of the width it was trained on"
    : hyperparameterFeatureDim ? `--hp feature_dim=${String(hpFeatureDim)}` : undefined;
  // A supervised algorithm told the rows have no label failed at its first batch ("batch 0: has no labels", exit 1).
  if (algorithm.labelSize > 0 && options['label-size'] !== undefined && integerOption('train', options, 'label-size', 0) === 0) {
    throw new UsageError(`train: ${algorithm.name} learns from labels, and --label-size 0 says the rows have none: leave it out (the label is column 1 ` +
      'by default; --label-column N names another)');
  }
  const data = { ...readOptionsFrom('train', options, { labelSize: algorithm.labelSize > 0 || storedLabelColumn !== undefined ? 1 : 0,
    featureDim: vocabulary?.length ?? stateFeatureDim, labelColumn: storedLabelColumn, ignoreColumns: storedIgnored, hyperparameterFeatureDim, format, resumedFeatureDim }),
    redis: redisOptionsFrom('train', options, options.train as string), shuffleBuffer: integerOption('train', options, 'shuffle-buffer') };
  if (data.shuffleBuffer !== undefined && algorithm.checkSeries) {
    throw new UsageError(`train: --shuffle-buffer shuffles rows; ${algorithm.name} reads whole time series and draws its own training windows`);
  }
  if (data.format === 'text' && algorithm.labelSize > 0) {
    throw new UsageError(`train: ${algorithm.name} is supervised, and --format text has no labels (its records are documents)`);
  }
  const every = options['checkpoint-every'] !== undefined ? parseCheckpointEvery(options['checkpoint-every'] as string) : {};
  // Options about checkpoints mean nothing without the directory they go to: say so rather than ignore them.
  for (const name of ['resume', 'checkpoint-every', 'keep-checkpoints']) {
    if (options[name] !== undefined && !checkpointDir) throw new UsageError(`train: --${name} needs --checkpoint-dir`);
  }
  // Workers checkpoint at merge rounds: a --checkpoint-every finer than a round was met only at rounds, without a word.
  // The round is --sync-every's, else the algorithm's default (it was said only when --sync-every was given).
  const round = syncEvery ?? defaultSyncEveryOf(algorithm);
  if (workers > 1 && every.everyBatches !== undefined && 'batches' in round && every.everyBatches < round.batches * workers) {
    process.stderr.write(`boundless: train: warning: checkpoints are written at merge rounds: --checkpoint-every ${every.everyBatches}b comes due within ` +
      `every round (--sync-every ${round.batches}${syncEvery ? '' : ', the default'}: ${(round.batches * workers).toLocaleString('en-US')} batches of the ` +
      `${workers} workers together), so a checkpoint is written at each round\n`);
  }
  const modelDir = (options['model-dir'] as string | undefined) ?? '.';
  const cluster = clusterOptionsFrom(options);
  const controller = new AbortController();
  // A run stops between steps: one that has not stopped a second after the signal is inside a long
  // one (a DeepAR epoch's optimizer steps run as one call) and says so, rather than nothing for as long.
  let stopping: NodeJS.Timeout | undefined;
  const stop = () => {
    if (controller.signal.aborted) return;
    controller.abort();
    stopping = setTimeout(() => process.stderr.write('boundless: train: stopping: the step under way ends first ' +
      `(${algorithm.name === 'deepar' ? "deepar's optimizer steps of an epoch run as one call" : 'a kernel call'}), then the run stops as interrupted\n`), 1000);
    stopping.unref();
  };
  // Installed for the whole run, not once: GNU timeout signals the process and then its group, and
  // a second SIGTERM after a once-handler had gone killed the run (143) before its checkpoint.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const report = createProgressReporter(process.stderr, { sageMakerLines: options['sagemaker-metrics'] === true });
  let lastCheckpoint: string | undefined;
  let checkpointRecords: number | undefined;
  let madeModelDir = false;
  try {
    const trainOptions: TrainOptions = {
      train: options.train as string,
      validation: options.validation as string | undefined,
      test: options.test as string | undefined,
      data,
      epochs,
      checkpoint: checkpointDir ? { directory: checkpointDir, keep: integerOption('train', options, 'keep-checkpoints'), ...every } : undefined,
      resume: options.resume === true,
      initialState,
      vocabulary,
      backend: choiceOption<BackendChoice>('train', options, 'backend', ['auto', 'cpu', 'cuda', 'webgpu']),
      seed,
      deterministic: options.deterministic === true,
      workers,
      syncEvery,
      ...(options['epoch-cache'] !== undefined ? { epochCacheBytes: epochCacheBytesOf(options) } : {}),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.checkpoint) [lastCheckpoint, checkpointRecords] = [event.checkpoint, event.records];
        report(event);
      },
    };
    if (cluster) {
      // Options a member cannot take are a bad command line (status 2), not a failed run.
      try {
        refuseUnsupported(trainOptions);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    // Made and written to before training: a --model-dir that cannot be made or written in fails now, not after the whole run.
    madeModelDir = !existsSync(modelDir);
    await makeWritableDirectory(modelDir, '--model-dir', ['model.safetensors', 'state.safetensors']);
    const result = cluster ? await trainOnCluster(algorithm, hyperparameters, trainOptions, cluster) : await train(algorithm, hyperparameters, trainOptions);
    const modelPath = join(modelDir, 'model.safetensors');
    const statePath = join(modelDir, 'state.safetensors');
    await saveModel(modelPath, result.model);
    await saveState(statePath, result.state);
    const testMetrics = (result.metrics as { test?: Record<string, unknown> }).test;
    if (testMetrics) warnUndefinedMetrics(testMetrics, 'train');
    if (options['sagemaker-metrics'] === true) {
      for (const line of sageMakerFinalLines(result.metrics as never)) process.stderr.write(line + '\n');
    }
    if (algorithm.name === 'ntm') process.stderr.write(await topicLog(result.model, result.state as State<unknown>, (trainOptions.validation ?? trainOptions.test) as string | undefined, { ...data, miniBatchSize: 1000 }));
    // Both are stored: a Redis stream's entries may now be acknowledged.
    await result.commit();
    return { algorithm: algorithm.name, model: modelPath, state: statePath, metrics: result.metrics, ...('job' in result ? { job: result.job } : {}) };
  } catch (error) {
    // A run that wrote no model leaves no empty --model-dir it made (rmdir takes only an empty one).
    if (madeModelDir) await rmdir(modelDir).catch(() => {});
    if ((error as Error).name !== 'AbortError') throw widthFromState(error, givenFeatureDim === undefined ? widthSource : undefined);
    if (cluster) throw new InterruptedError(`train: interrupted; job ${cluster.job} keeps what its rounds merged: run the same command to rejoin it`);
    throw new InterruptedError(interruptedMessage(options.train as string, checkpointDir, lastCheckpoint, checkpointRecords));
  } finally {
    clearTimeout(stopping);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * A feature index beyond feature_dim, where the width was not given but taken from the state or
 * checkpoint continued: the error says where the width came from (the data may be wider than the
 * data the state was trained on, which a continued run cannot take).
 */
function widthFromState(error: unknown, source: string | undefined): unknown {
  if (source === undefined || !(error instanceof Error)) return error;
  const bound = / is outside \[[01], \d+\] \(feature_dim (\d+)\)$/.exec(error.message);
  if (bound) error.message = `${error.message.slice(0, -1)}, ${source})`;
  // A CSV row of another width: the width expected came from there too.
  else if (/: expected \d+ columns, found \d+$/.test(error.message)) error.message = `${error.message} (the width from ${source})`;
  return error;
}

/**
 * What an interrupted run kept, and how to go on: --resume seeks a file to the checkpoint's
 * position; a stream (stdin, a pipe) cannot seek, but its state can start a new run on what comes next.
 */
function interruptedMessage(train: string, checkpointDir: string | undefined, lastCheckpoint: string | undefined, records?: number): string {
  if (!checkpointDir) return 'train: interrupted; nothing was saved (--checkpoint-dir keeps checkpoints to resume from)';
  if (!lastCheckpoint) return `train: interrupted before the first checkpoint; nothing was saved in ${checkpointDir}`;
  const stream = train === '-' || isStreamPath(train);
  return stream
    ? `train: interrupted; the state up to the last batch is in ${lastCheckpoint}${records === undefined ? '' : ` (the stream's first ${records} records)`}. ` +
      'The training channel is a stream, which --resume cannot seek: rows read after that batch were not trained on. Train on what ' +
      `the stream sends after them with --initial-state ${lastCheckpoint} and the same --hp`
    : `train: interrupted; the state up to the last batch is in ${lastCheckpoint}: continue with the same command and --resume`;
}

/** --epoch-cache MiB as bytes; past 2^53 bytes (8 PiB) a usage error, as for any value that is not a MiB count. */
function epochCacheBytesOf(options: ParsedArguments['options']): number {
  const mib = integerOption('train', options, 'epoch-cache', 0)!;
  if (!Number.isSafeInteger(mib * 2 ** 20)) {
    throw new UsageError(`train: --epoch-cache must be an integer >= 0 and at most ${Math.floor(Number.MAX_SAFE_INTEGER / 2 ** 20)} (MiB), got ${JSON.stringify(options['epoch-cache'])}`);
  }
  return mib * 2 ** 20;
}
