// Data-parallel training on one machine: N worker threads, each training its
// own share of the training files (share-trainer.ts) — or, for a stream, the
// batches this thread deals it (dealt-batches.ts) — coordinated from this
// thread in merge rounds (round-keeper.ts). The pool is a PassRunner: the
// trainer keeps restore, validation, early stopping, checkpoints and the
// final model; the pool trains each pass and keeps the run's state equal to
// the latest round's merge, with every worker's position beside it.
//
// Memory: one state per worker, the last round's merge (the base) and the
// one before it (the next merge is written into it: round-keeper.ts), plus a
// fresh state for sums-and-sketches algorithms (whose workers restart from
// one every round; their merges allocate): about N + 3 states.
import { Worker } from 'node:worker_threads';
import { algorithmModuleOf, getAlgorithm } from '../algorithms/registry.js';
import type { Algorithm, State } from '../algorithms/types.js';
import { readBatches } from '../io/read-batches.js';
import type { ReadStats } from '../io/batch-stream.js';
import { DataError, type ReadOptions } from '../io/read-options.js';
import { isStreamPath, resolveFiles } from '../io/sources/files.js';
import { fileError } from '../io/sources/file-errors.js';
import { isRedisUrl, redactRedisUrl } from '../io/redis/redis-url.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../package-root.js';
import type { PassContext, PassResult, PassRunner, SharePositions } from '../train/pass-runner.js';
import type { FromWorker, SerializedJob, ToWorker, WorkerData } from './port-rendezvous.js';
import { loadCoreAddon } from '../backends/native-addon.js';
import type { KernelCounts } from '../backends/kernel-counters.js';
import type { RoundReply, RoundUpload } from './rendezvous.js';
import { RoundKeeper, type CompletedRound } from './round-keeper.js';
import { continuesFromMerge } from './round-merge.js';
import { copyInto, copyState, transferList } from './state-transfer.js';
import { BatchDealer } from './dealt-batches.js';
import type { BatchStream } from '../io/batch-stream.js';
import type { SyncEvery } from './sync-policy.js';

const fromSource = import.meta.url.endsWith('.ts');
/**
 * worker-main beside this module (the sources; tsc's output, as the GPU bundle runs it), else the
 * bundled package's entry: scripts/bundle.mjs puts this code in a shared chunk (dist/chunks/) and
 * worker-main at dist/distributed/worker-main.js.
 */
const besideThis = new URL(fromSource ? './worker-main.ts' : './worker-main.js', import.meta.url);
const workerEntry = existsSync(besideThis) ? besideThis : pathToFileURL(join(packageRoot, 'dist', 'distributed', 'worker-main.js'));

/**
 * A worker thread running worker-main. Run from the TypeScript sources (tests, tsx), a thread does
 * not inherit the parent's TypeScript loader: it registers tsx's (a development dependency) first.
 */
function startThread(workerData: unknown): Worker {
  if (!fromSource) return new Worker(workerEntry, { workerData });
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerEntry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Bytes a worker's share of a cut file holds at least. Shares of a few rows train degenerate
 * states (the linear learner's scaler, sampled from one row, calls every feature constant, and
 * the merged model came out all zeros); a file this small gains nothing from workers anyway.
 */
const minShareBytes = 64 << 10;

/** A file's size; a failure says what it means (a file removed since it was listed: ENOENT in words). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    throw fileError(path, error);
  }
}

function refuseTinyShares(paths: string[], count: number, listed?: { path: string; bytes: number }[]): void {
  const sizes = new Map(listed?.map((f) => [f.path, f.bytes]));
  for (const path of paths) {
    const size = sizes.get(path) ?? sizeOf(path);
    if (size > 0 && size < count * minShareBytes) {
      // As many workers as files or fewer take each file whole; more cut every file, this one included.
      const cut = Math.max(1, Math.floor(size / minShareBytes));
      const most = Math.max(cut, paths.length);
      const how = most === 1 ? ' (one worker)' : most === paths.length && paths.length > cut ? ' or fewer (each file to one worker)' : ' or fewer';
      throw new Error(`train: ${path} holds ${size} bytes, too few to cut into ${count} shares of at least ${minShareBytes / 1024} KiB: ` +
        `use --workers ${most}${how}, or give at least ${count} files`);
    }
  }
}

/** A checkpoint one worker wrote mid-epoch: its one position cannot be cut into shares. */
const oneWorkerMidEpoch = 'train: the checkpoint resumed was written by one worker in the middle of an epoch: resume it with one worker (--workers 1)';

/** Seconds a stopped worker has to end by itself before it is terminated. */
const stopGraceMs = 10_000;

/** Threads that have ended (their 'exit' came). */
const exited = new WeakSet<Worker>();

async function stopThread(thread: Worker): Promise<void> {
  if (exited.has(thread)) return;
  const ended = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  thread.postMessage({ type: 'stop' } satisfies ToWorker);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), stopGraceMs); });
  if (await Promise.race([ended, late]) === 'late') await thread.terminate();
  clearTimeout(timer);
}

type Inbox = { worker: number; message: FromWorker } | { worker: number; crash: Error };

/** Messages from all workers, in arrival order, taken one at a time by the pass. */
class MessageQueue {
  private readonly items: Inbox[] = [];
  private waiting: ((item: Inbox) => void) | undefined;

  push(item: Inbox): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(item);
    } else {
      this.items.push(item);
    }
  }

  take(): Promise<Inbox> {
    const item = this.items.shift();
    return item ? Promise.resolve(item) : new Promise((resolve) => { this.waiting = resolve; });
  }
}

/** An error from a worker thread, as the thread raised it (DataError kept, for exit statuses and callers). */
function rebuildError(error: { name: string; message: string; stack?: string }, worker: number): Error {
  const rebuilt = error.name === 'DataError' ? new DataError(error.message)
    : error.name === 'RangeError' ? new RangeError(error.message)
      : error.name === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
  if (rebuilt.name !== error.name) Object.defineProperty(rebuilt, 'name', { value: error.name });
  rebuilt.stack = `${error.name}: ${error.message}\n    (in data-parallel worker ${worker})${error.stack ? `\n${error.stack.split('\n').slice(1).join('\n')}` : ''}`;
  return rebuilt;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : new DOMException('training was aborted', 'AbortError');
}

export class WorkerPool implements PassRunner {
  private readonly threads: Worker[] = [];
  private readonly inbox = new MessageQueue();
  /** The highest round called (by time, or by a stop), read by every worker after each batch. */
  private readonly called = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  /** Deals a stream's batches in a pass over a stream. */
  private dealer: BatchDealer | undefined;

  private constructor(readonly algorithm: Algorithm, readonly count: number, readonly sync: SyncEvery) {}

  /**
   * Starts `count` worker threads for `algorithm`, which must be registered by name (built in, or
   * loaded with loadAlgorithmModule / --algorithm-module): threads find it in the registry.
   */
  static open(algorithm: Algorithm, count: number, sync: SyncEvery): WorkerPool {
    let registered: Algorithm | undefined;
    try {
      registered = getAlgorithm(algorithm.name);
    } catch {
      registered = undefined;
    }
    if (registered !== algorithm) {
      throw new Error(`train: workers find algorithms by name, and '${algorithm.name}' is not registered as this object: ` +
        'load its module with loadAlgorithmModule (--algorithm-module) to train it with workers');
    }
    const pool = new WorkerPool(algorithm, count, sync);
    // As many workers as the thread budget or more: each keeps its data work to one core (see
    // setCallerSerial), as the budget keeps them all to its cores.
    const serial = count >= loadCoreAddon().runtimeInfo().threads;
    for (let worker = 0; worker < count; worker++) {
      const thread = startThread({ called: pool.called.buffer, serial } satisfies WorkerData);
      thread.on('message', (message: FromWorker) => {
        if (message.type === 'taken') pool.dealer?.taken(worker);
        else pool.inbox.push({ worker, message });
      });
      thread.on('error', (error) => pool.inbox.push({ worker, crash: error }));
      thread.on('exit', (code) => {
        exited.add(thread);
        if (!pool.closed) pool.inbox.push({ worker, crash: new Error(`data-parallel worker ${worker} exited (code ${code})`) });
      });
      pool.threads.push(thread);
    }
    return pool;
  }

  /**
   * Ends every worker: each is asked to stop and ends by itself once its native calls in flight
   * return; one still running after a grace period is terminated.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => stopThread(thread)));
  }

  async trainPass(context: PassContext): Promise<PassResult> {
    const { options, progress } = context;
    const input = await this.inputOf(context);
    const keeper = new RoundKeeper(this.algorithm, context.settings.backend, progress.shares!, context.state);
    const fresh = this.freshStates(context);
    Atomics.store(this.called, 0, 0);
    for (let worker = 0; worker < this.count; worker++) {
      if (progress.shares!.done[worker]) continue;
      const start = fresh ? fresh() : context.state;
      const state = start ? copyState(start) : undefined;
      this.send(worker, { type: 'pass', job: this.job(worker, context, input.files, input.featureDim, state) }, state);
    }
    // A stream: this thread parses it and deals its batches; an error reading it ends the pass.
    const stream: BatchStream | undefined = input.files ? undefined
      : readBatches(options.train, { ...context.settings.readOptions, start: undefined, signal: options.signal });
    this.dealer = stream ? new BatchDealer(this.count, (worker, message, transfer) => this.threads[worker].postMessage(message, transfer)) : undefined;
    const dealing = stream ? this.dealer!.deal(stream, 'batches' in this.sync).catch((error: Error) => this.inbox.push({ worker: -1, crash: error })) : undefined;
    const stop = () => Atomics.store(this.called, 0, 0x7fffffff);
    options.signal?.addEventListener('abort', stop);
    const timer = 'seconds' in this.sync ? setInterval(() => Atomics.store(this.called, 0, keeper.round), this.sync.seconds * 1000) : undefined;
    let whole = false;
    try {
      const read = await this.runRounds(context, keeper, fresh, input.totalBytes);
      whole = true;
      // A stream's header names (the workers' states keep them): the validation and test channels, and predict, are checked against them.
      const names = stream?.stats.featureNames;
      const { readOptions } = context.settings;
      if (names && readOptions.header === true && (readOptions.format ?? 'csv') === 'csv' && readOptions.featureNames === undefined) {
        context.settings.readOptions = { ...readOptions, featureNames: names.names };
      }
      // The stream goes to the trainer, which commits it once a stored state holds the pass.
      return stream ? { bytes: stream.stats.bytes, badRecords: { ...stream.stats.badRecords }, seekable: stream.seekable !== false, input: stream } : read;
    } finally {
      options.signal?.removeEventListener('abort', stop);
      if (timer) clearInterval(timer);
      this.dealer?.stop();
      // A pass that failed closes the stream first: a deal waiting for a quiet writer's next bytes then ends too.
      if (!whole) await stream?.close();
      await dealing;
      this.dealer = undefined;
    }
  }

  /**
   * The pass's input, checked before any thread reads: the files (undefined for a stream), their
   * size, and the row width when known. Sets progress.shares (the checkpoint's, or fresh ones).
   */
  private async inputOf(context: PassContext): Promise<{ files: string | string[] | undefined; totalBytes: number | undefined; featureDim: number | undefined }> {
    const { settings, options, progress } = context;
    const train = options.train;
    // A path that names a stream (a named pipe, /dev/stdin, <(…)) is read once, here, and dealt as '-' is: a worker opening it would
    // take bytes from the others (and the probe below from them all), or wait on a pipe's open that nothing can stop.
    const files = (typeof train === 'string' && train !== '-' && !isRedisUrl(train) && !isStreamPath(train)) ||
      (Array.isArray(train) && train.length > 0 && train.every((t) => typeof t === 'string')) ? train as string | string[] : undefined;
    if (isRedisUrl(train) && progress.shares) {
      throw new Error(`train: the checkpoint resumed was written by data-parallel workers in the middle of the Redis stream ${redactRedisUrl(train)}; ` +
        'a round\'s merge does not say which entries it holds, so it cannot be resumed: train afresh (none of those entries were acknowledged: they are read again)');
    }
    if (progress.position !== null) throw new Error(oneWorkerMidEpoch);
    const shares = this.sharesOf(progress.shares);
    if (!files && shares.positions.some((p) => p !== null)) {
      throw new Error('train: the training channel is a stream, which cannot seek to a checkpoint position; resume needs a file source');
    }
    progress.shares = shares;
    // Resolved here too, so that a missing path is one error before any thread reads.
    const paths = files === undefined ? [] : context.listed ? context.listed.map((f) => f.path) : Array.isArray(files) ? files.flatMap(resolveFiles) : resolveFiles(files);
    if (files && settings.readOptions.format === 'recordio' && paths.length < this.count) {
      throw new Error(`train: recordIO cannot be cut at record boundaries: give at least as many files as workers (${paths.length} file${paths.length === 1 ? '' : 's'} for ${this.count} workers)`);
    }
    if (files && paths.length < this.count) refuseTinyShares(paths, this.count, context.listed);
    let featureDim = context.state?.schema.featureDim ?? settings.readOptions.featureDim;
    const { format = 'csv', header, featureNames } = settings.readOptions;
    const headed = files !== undefined && format === 'csv' && header === true && featureNames === undefined;
    if (files && (featureDim === undefined || headed)) {
      const probe = await this.probe(files, settings.readOptions);
      featureDim ??= probe.featureDim;
      // Each worker reads only its own files: every one is checked against the first file's header,
      // and the validation and test channels (read here) against it too, as one process checks them.
      if (headed && probe.names) {
        settings.readOptions = { ...settings.readOptions, featureNames: probe.names.names, files: { ...settings.readOptions.files, namesFrom: probe.names.file } };
      }
    }
    return {
      files,
      totalBytes: files ? (context.listed ? context.listed.reduce((n, f) => n + f.bytes, 0) : paths.reduce((n, f) => n + sizeOf(f), 0)) : undefined,
      featureDim,
    };
  }

  /** Sums and sketches: what workers restart from every round, a fresh state (made once, copied from); undefined for SGD. */
  private freshStates(context: PassContext): (() => State | undefined) | undefined {
    if (continuesFromMerge(this.algorithm)) return undefined;
    let template: State | undefined;
    const { settings } = context;
    return () => (context.state ? (template ??= this.algorithm.createState(settings.hp as never, context.state.schema, settings.backend) as State) : undefined);
  }

  /**
   * Rounds until every worker has read its share: each merged round becomes the run's state, with
   * the counters and positions beside it, and may be checkpointed. Throws an AbortError after the
   * round that a stop called.
   */
  private async runRounds(context: PassContext, keeper: RoundKeeper, fresh: (() => State | undefined) | undefined,
    totalBytes: number | undefined): Promise<PassResult> {
    const { options, progress } = context;
    const bytes = new Array<number>(this.count).fill(0);
    const badRecords = new Array<Record<string, number>>(this.count).fill({});
    const kernels = new Array<KernelCounts>(this.count).fill({});
    while (!keeper.allDone) {
      const upload = await this.nextUpload();
      bytes[upload.worker] = upload.bytes;
      badRecords[upload.worker] = upload.badRecords;
      kernels[upload.worker] = upload.kernels ?? {};
      if (!keeper.add(upload)) continue;
      const round = keeper.complete();
      if (round.merged) context.state = round.merged;
      progress.batches += round.batches;
      progress.records += round.records;
      context.report(bytes.reduce((a, b) => a + b, 0), totalBytes);
      const stopping = options.signal?.aborted === true;
      this.reply(round, stopping, fresh);
      if (stopping) throw abortError(options.signal!);
      await context.trained(round.batches);
    }
    // The workers' kernel calls count as the run's, beside the merges and validation run here.
    for (const counts of kernels) context.settings.backend.counters.add(counts);
    const bad: Record<string, number> = {};
    for (const counts of badRecords) for (const [reason, n] of Object.entries(counts)) bad[reason] = (bad[reason] ?? 0) + n;
    return { bytes: bytes.reduce((a, b) => a + b, 0), badRecords: bad, seekable: true };
  }

  checkResume(shares: SharePositions | null, position: unknown): void {
    if (shares) this.sharesOf(shares);
    else if (position !== null) throw new Error(oneWorkerMidEpoch);
  }

  /** The checkpoint's positions when it was written by as many workers; fresh ones otherwise. */
  private sharesOf(stored: SharePositions | null | undefined): SharePositions {
    if (!stored) {
      return { count: this.count, positions: new Array(this.count).fill(null), done: new Array(this.count).fill(false), syncEvery: this.sync };
    }
    if (stored.count !== this.count) {
      throw new Error(`train: the checkpoint resumed was written by ${stored.count} data-parallel workers in the middle of an epoch: ` +
        `resume with ${stored.count} workers (--workers ${stored.count}, workers: ${stored.count}); their shares of the data differ from ${this.count} workers'`);
    }
    if (stored.syncEvery && syncText(stored.syncEvery) !== syncText(this.sync)) {
      throw new Error(`train: the checkpoint resumed was written by workers merging every ${syncText(stored.syncEvery)} in the middle of an epoch: ` +
        `resume with --sync-every ${syncText(stored.syncEvery)} (this run merges every ${syncText(this.sync)}, which would merge at other batches and end with another model)`);
    }
    return stored;
  }

  /**
   * The row width when neither the state nor the options say (every worker must agree on it), and
   * the first file's header names (CSV with a header): both from the first record.
   */
  private async probe(train: string | string[], readOptions: ReadOptions): Promise<{ featureDim: number | undefined; names: ReadStats['featureNames'] }> {
    // One-row batches: the first record decides, and a bad record further on is the workers' to report (with its share's offset).
    const stream = readBatches(train, { ...readOptions, miniBatchSize: 1, prefetch: 1, shuffleBuffer: undefined });
    for await (const batch of stream) if (batch.rows > 0) return { featureDim: stream.featureDim, names: stream.stats.featureNames };
    return { featureDim: undefined, names: stream.stats.featureNames };
  }

  private job(worker: number, context: PassContext, files: string | string[] | undefined, featureDim: number | undefined, state: State | undefined): SerializedJob {
    const { settings, progress } = context;
    const { signal: _signal, start: _start, ...readOptions } = settings.readOptions;
    const start = progress.shares!.positions[worker];
    return {
      worker, algorithm: this.algorithm.name, algorithmModule: algorithmModuleOf(this.algorithm.name),
      // The backend the run resolved (not 'auto' again): every worker computes as the coordinator merges.
      backend: settings.backend.name,
      hyperparameters: settings.hp, train: files,
      readOptions: { ...readOptions, featureDim, files: { ...readOptions.files, ...(context.listed ? { listed: context.listed } : {}), split: { index: worker, count: this.count } },
        ...(start ? { start } : {}) },
      state, syncBatches: 'batches' in this.sync ? this.sync.batches : undefined,
      // A stop in a deterministic run waits for the scheduled round, so that resuming gives the uninterrupted run's bytes.
      scheduledRoundsOnly: context.options.deterministic === true && 'batches' in this.sync,
    };
  }

  private send(worker: number, message: ToWorker, state: State | undefined): void {
    this.threads[worker].postMessage(message, state ? transferList(state) : []);
  }

  /** The next upload from any worker; a worker's error or crash ends the pass with that error. */
  private async nextUpload(): Promise<RoundUpload> {
    const item = await this.inbox.take();
    if ('crash' in item) throw item.crash;
    const { message } = item;
    if (message.type === 'error') throw rebuildError(message.error, item.worker);
    if (message.type !== 'upload') throw new Error(`data-parallel worker ${item.worker}: unexpected message ${message.type} (a bug)`);
    return message.upload;
  }

  /**
   * Answers every worker of the round: one that reads on gets the merge (SGD) or a fresh state (sums
   * and sketches) copied into the buffers it uploaded; one done with its share, nothing; all, stop
   * when the run stops.
   */
  private reply(round: CompletedRound, stopping: boolean, fresh: (() => State | undefined) | undefined): void {
    const template = round.merged && fresh ? fresh() : round.merged;
    for (const upload of round.uploads) {
      const state = stopping || upload.done || !template ? undefined : upload.state ? copyInto(upload.state, template) : copyState(template);
      const reply: RoundReply = { stop: stopping, ...(state ? { state } : {}) };
      this.send(upload.worker, { type: 'reply', reply }, state);
    }
  }
}

/** A round schedule as --sync-every spells it: 8b, 2s, auto. */
function syncText(sync: SyncEvery): string {
  return 'batches' in sync ? `${sync.batches}b` : 'seconds' in sync ? `${sync.seconds}s` : 'auto';
}
