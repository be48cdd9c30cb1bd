// Timed checkpoints while a pass waits for its source. `--checkpoint-every 60s` was checked only
// after a batch: on a stream whose writer paused, everything trained since the last checkpoint
// stayed unsaved for as long as the pause lasted (a crash then lost it), though a minute had passed.
import type { CheckpointSchedule } from './checkpoint-directory.js';

/**
 * Armed after each batch for when the schedule's seconds come due. The timer's write runs only
 * while the pass waits for its next batch: the pass calls beforeBatch() first, which stops the
 * timer and waits for a write in flight, so the state never moves under a checkpoint being written.
 * A write that fails is rethrown there (or by finish()), as the pass's own writes fail it.
 */
export class IdleCheckpoints {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private failedWith: { error: unknown } | undefined;

  /**
   * `failed`: told when a timed write fails, so the pass stops waiting for its source (the run
   * had sat until the writer sent more, then failed: a full disk during a pause went unsaid).
   */
  constructor(private readonly schedule: CheckpointSchedule, private readonly write: () => Promise<void>,
    private readonly failed: (error: unknown) => void = () => undefined) {}

  /** After a batch (and its own scheduled checkpoint, if any): arm the timer for the schedule's next due time. */
  arm(): void {
    this.stop();
    const wait = this.schedule.msUntilDue();
    if (wait === undefined) return;
    // Unreferenced: the source being read keeps the process alive; this timer alone must not.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.write().catch((error: unknown) => {
        this.failedWith = { error };
        this.failed(error);
      });
    }, wait);
    this.timer.unref();
  }

  /** Before the pass trains a batch: no write starts now, and one in flight ends first. */
  async beforeBatch(): Promise<void> {
    this.stop();
    await this.settle();
  }

  /** At the pass's end: the timer stopped, a write in flight ended, its failure thrown. */
  async finish(): Promise<void> {
    await this.beforeBatch();
  }

  /** When the pass failed: the timer stopped, a write in flight ended; its failure, if any, returned (the run's error then). */
  async failure(): Promise<{ error: unknown } | undefined> {
    this.stop();
    if (this.writing) await this.writing;
    this.writing = undefined;
    return this.failedWith;
  }

  private async settle(): Promise<void> {
    if (this.writing) await this.writing;
    this.writing = undefined;
    const failure = this.failedWith;
    this.failedWith = undefined;
    if (failure) throw failure.error;
  }

  private stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
