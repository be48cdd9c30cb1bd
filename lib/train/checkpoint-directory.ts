// Rolling checkpoints in a directory: checkpoint-000001.safetensors, ...
// Each is written atomically (a crash leaves the previous ones intact);
// only the newest `keep` are kept. Resuming takes the newest one that
// loads and validates, skipping damaged ones with a warning, so a crash in
// the middle of anything still resumes from the last good state.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from '../backends/registry.js';
import type { Algorithm, State } from '../algorithms/types.js';
import type { JsonValue } from '../state/checkpoint.js';
import { readSafetensorsMetadata } from '../state/safetensors.js';
import { loadCheckpoint, saveCheckpoint, saveState } from '../algorithms/persistence.js';
import { makeDirectory, makeWritableDirectory } from '../io/make-directory.js';
import { CheckpointLock } from './checkpoint-lock.js';

const pattern = /^checkpoint-(\d{6,})\.safetensors$/;
// What writeFileAtomic leaves behind when the process dies mid-write.
const staleTemporary = /^\.(checkpoint-\d{6,}|best-state)\.safetensors\.\d+\.[0-9a-f]+\.tmp$/;

export interface CheckpointInfo {
  path: string;
  sequence: number;
}

export interface ResumedCheckpoint<S> extends CheckpointInfo {
  state: S;
  training: Record<string, JsonValue>;
}

export class CheckpointDirectory {
  private nextSequence: number | undefined;
  /** Held from requireDirectory to release (checkpoint-lock.ts says why). */
  private lock: CheckpointLock | undefined;

  constructor(readonly directory: string, readonly keep = 3) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`checkpoints to keep must be a positive integer, got ${keep}`);
  }

  /**
   * An error before training when the path is there but is not a directory (mkdir and readdir would
   * fail later with a bare EEXIST or ENOTDIR); a missing one is made now.
   */
  async requireDirectory(): Promise<void> {
    const found = await stat(this.directory).catch(() => undefined);
    if (found && !found.isDirectory()) {
      throw new Error(`checkpoint directory ${this.directory} exists and is not a directory: give --checkpoint-dir (checkpoint.directory) ` +
        'a directory, or a path that does not exist yet (it is made)');
    }
    // Made and written to now, so a directory that cannot be made or written in fails the run before
    // it trains, not at its first checkpoint.
    await makeWritableDirectory(this.directory, 'checkpoint directory (--checkpoint-dir, checkpoint.directory)');
    this.lock ??= await CheckpointLock.acquire(this.directory);
  }

  /** Gives the directory's lock back (requireDirectory took it): another run may write here now. */
  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }

  /** Existing checkpoints, newest first. */
  async list(): Promise<CheckpointInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => ({ name, match: pattern.exec(name) }))
      .filter((entry) => entry.match)
      .map((entry) => ({ path: join(this.directory, entry.name), sequence: Number(entry.match![1]) }))
      .sort((a, b) => b.sequence - a.sequence);
  }

  /**
   * Refuses a directory whose newest checkpoint is of another algorithm: resuming from it is
   * impossible, and writing there would rotate the other run's checkpoints away.
   */
  private async requireAlgorithm(algorithm: string, existing: CheckpointInfo[]): Promise<void> {
    if (existing.length === 0) return;
    const found = await readSafetensorsMetadata(existing[0].path).then((m) => m.algorithm, () => undefined);
    if (found !== undefined && found !== algorithm) {
      throw new Error(`checkpoint directory ${this.directory} holds ${found} checkpoints (${existing[0].path}), not ${algorithm}: ` +
        'use another --checkpoint-dir (checkpoint.directory)');
    }
  }

  /** Writes the next checkpoint, then removes all but the newest `keep`. */
  async write<H>(state: State<H>, training: Record<string, JsonValue>): Promise<CheckpointInfo> {
    await makeDirectory(this.directory);
    const existing = await this.list();
    if (this.nextSequence === undefined) await this.requireAlgorithm(state.algorithm, existing);
    const sequence = Math.max(this.nextSequence ?? 1, (existing[0]?.sequence ?? 0) + 1);
    this.nextSequence = sequence + 1;
    const path = join(this.directory, `checkpoint-${String(sequence).padStart(6, '0')}.safetensors`);
    await saveCheckpoint(path, state, training);
    for (const old of (await this.list()).slice(this.keep)) await unlink(old.path).catch(() => {});
    return { path, sequence };
  }

  /**
   * Deletes half-written files that a killed process left (a resuming trainer is the only
   * writer: it holds the directory's lock). Returns how many.
   */
  async removeStaleTemporaries(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return 0;
    }
    const stale = names.filter((name) => staleTemporary.test(name));
    for (const name of stale) await unlink(join(this.directory, name)).catch(() => {});
    return stale.length;
  }

  /** Where the best epoch's state is kept (early stopping keeps the best, not the last). */
  get bestStatePath(): string {
    return join(this.directory, 'best-state.safetensors');
  }

  async writeBest<H>(state: State<H>): Promise<void> {
    await makeDirectory(this.directory);
    await saveState(this.bestStatePath, state);
  }

  /**
   * The newest checkpoint that loads and validates, or undefined when there is none. Damaged
   * checkpoints are skipped; `warn` hears about each one.
   */
  async newestValid<A extends Algorithm>(algorithm: A, backend: Backend, warn: (message: string) => void = () => {}):
    Promise<ResumedCheckpoint<Parameters<A['update']>[0]> | undefined> {
    await this.removeStaleTemporaries();
    const existing = await this.list();
    await this.requireAlgorithm(algorithm.name, existing);
    for (const checkpoint of existing) {
      try {
        const { state, training } = await loadCheckpoint(checkpoint.path, algorithm, backend);
        return { ...checkpoint, state, training };
      } catch (error) {
        warn(`skipping damaged checkpoint ${checkpoint.path}: ${(error as Error).message}`);
      }
    }
    return undefined;
  }
}

/** When the next checkpoint is due: every N batches and/or every N seconds, whichever comes first. */
export class CheckpointSchedule {
  private batches = 0;
  private last: number;

  constructor(readonly everyBatches?: number, readonly everySeconds?: number, private readonly now: () => number = () => performance.now()) {
    for (const [name, value] of [['everyBatches', everyBatches], ['everySeconds', everySeconds]] as const) {
      if (value !== undefined && !(value > 0)) throw new RangeError(`checkpoint ${name} must be positive, got ${value}`);
    }
    this.last = now();
  }

  /** Call after each batch; true when a checkpoint should be written now. */
  afterBatch(): boolean {
    return this.afterBatches(1);
  }

  /** Call after `count` batches trained at once (a merge round of data-parallel workers); true when a checkpoint is due. */
  afterBatches(count: number): boolean {
    this.batches += count;
    const byBatches = this.everyBatches !== undefined && this.batches >= this.everyBatches;
    const bySeconds = this.everySeconds !== undefined && (this.now() - this.last) / 1000 >= this.everySeconds;
    return byBatches || bySeconds;
  }

  /**
   * Milliseconds until the seconds of the schedule come due (0: due now), while batches trained
   * since the last checkpoint wait to be saved; undefined when none do or the schedule has no
   * seconds. What a pass waiting for its source (a paused stream) uses to write them anyway.
   */
  msUntilDue(): number | undefined {
    if (this.everySeconds === undefined || this.batches === 0) return undefined;
    return Math.max(0, this.everySeconds * 1000 - (this.now() - this.last));
  }

  /** Call after writing a checkpoint. */
  written(): void {
    this.batches = 0;
    this.last = this.now();
  }
}
