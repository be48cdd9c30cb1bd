// What the trainer reports while it runs: a ProgressEvent per batch, epoch,
// checkpoint and warning, and one when it resumes from a checkpoint, with
// throughput and, when the training channel's size is known, an estimate of
// the time left.

export interface ProgressEvent {
  phase: 'batch' | 'epoch' | 'checkpoint' | 'warning' | 'resume';
  epoch: number;
  batches: number;
  records: number;
  /**
   * Bytes of the training channel trained on so far, every epoch's together (a cached epoch counts
   * what it replays): up to the last trained batch's end in plain files, which the reader runs
   * ahead of; read so far in gzip files and streams.
   */
  bytes: number;
  elapsedSeconds: number;
  recordsPerSecond: number;
  /**
   * The algorithm's progressive metrics (each batch scored before training on it; first-pass
   * scores from the second epoch on). Computed on first read: a listener that does not read
   * them costs nothing. Read them during the call if you need them: they describe this moment.
   */
  metrics: Record<string, number>;
  /** Validation metrics, on 'epoch' events when there is a validation channel. */
  validation?: Record<string, number>;
  badRecords: Record<string, number>;
  /** Seconds left, when the training channel's size is known (files). */
  etaSeconds?: number;
  /** The checkpoint written ('checkpoint') or resumed from ('resume'). */
  checkpoint?: string;
  message?: string;
}

/** Counts bytes across epochs and turns the trainer's counters into events for onProgress. */
export class ProgressReporter {
  private readonly started = performance.now();
  /** Bytes of the finished epochs. */
  bytes = 0;
  /** Bytes read so far in the running epoch. */
  epochBytes = 0;
  /** Size of the training channel, when known. */
  totalBytes: number | undefined;
  badRecords: Record<string, number> = {};
  /** Records trained before this process began (a resumed run's): not part of its rate. */
  resumedRecords = 0;

  constructor(private readonly epochs: number, private readonly listener?: (event: ProgressEvent) => void) {}

  get elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Calls the listener, if any; `metrics` is only computed when someone listens. */
  emit(phase: ProgressEvent['phase'], counters: { epoch: number; batches: number; records: number },
    metrics: () => Record<string, number>, extra: Partial<ProgressEvent> = {}): void {
    if (!this.listener) return;
    const elapsedSeconds = this.elapsedSeconds;
    const done = this.bytes + this.epochBytes;
    const planned = this.totalBytes !== undefined ? this.totalBytes * this.epochs : undefined;
    const etaSeconds = planned !== undefined && done > 0 ? Math.max(0, (elapsedSeconds * (planned - done)) / done) : undefined;
    const event = {
      phase, epoch: counters.epoch, batches: counters.batches, records: counters.records, bytes: done, elapsedSeconds,
      recordsPerSecond: elapsedSeconds > 0 ? Math.max(0, counters.records - this.resumedRecords) / elapsedSeconds : 0,
      badRecords: this.badRecords, ...(etaSeconds !== undefined ? { etaSeconds } : {}), ...extra,
    } as ProgressEvent;
    // Metrics cost a threshold search per model: computed when a listener reads them (the CLI
    // reads them only when a line is due), once per event, and the value kept.
    let computed: Record<string, number> | undefined;
    Object.defineProperty(event, 'metrics', {
      enumerable: true, configurable: true,
      get: () => (computed ??= metrics()),
    });
    this.listener(event);
  }
}
