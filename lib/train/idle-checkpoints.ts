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
  private failure: { error: unknown } | undefined;

  constructor(private readonly schedule: CheckpointSchedule, private readonly write: () => Promise<void>) {}

  /** After a batch (and its own scheduled checkpoint, if any): arm the timer for the schedule's next due time. */
  arm(): void {
    this.stop();
    const wait = this.schedule.msUntilDue();
    if (wait === undefined) return;
    // Unreferenced: the source being read keeps the process alive; this timer alone must not.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.write().catch((error: unknown) => { this.failure = { error }; });
    }, wait);
    this.timer.unref();
  }

  /** Before the pass trains a batch: no write starts now, and one in flight ends first. */
  async beforeBatch(): Promise<void> {
    this.stop();
    await this.settle();
  }

  /** At the pass's end or failure: the timer stopped, a write in flight ended, its failure thrown. */
  async finish(): Promise<void> {
    await this.beforeBatch();
  }

  private async settle(): Promise<void> {
    if (this.writing) await this.writing;
    this.writing = undefined;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure.error;
  }

  private stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
