// One worker's training loop: read its share of the training channel, train
// its own state batch by batch, and meet the other workers in merge rounds
// every `syncBatches` batches or when a round is called. Transport-agnostic:
// it sees the other workers only through a Rendezvous, and its data only as
// batches (its share of the files read here, or a stream's batches dealt to it).
import { schemaOf, type ColumnLayout } from '../train/schema.js';
import type { Algorithm, State } from '../algorithms/types.js';
import type { Backend } from '../backends/registry.js';
import type { ReadBatch, ReadStats } from '../io/batch-stream.js';
import type { SourcePosition } from '../io/sources/types.js';
import type { Rendezvous, RoundUpload } from './rendezvous.js';
import { packState } from './state-transfer.js';
import { settleState } from '../backends/device-state.js';

export interface ShareJob {
  worker: number;
  algorithm: Algorithm;
  backend: Backend;
  hyperparameters: Record<string, unknown>;
  /** Where the share starts (a resumed share's position); null: its beginning. */
  start: SourcePosition | null;
  /** What to continue from; undefined in a fresh run (a fresh state is made from the first batch). */
  state: State | undefined;
  /** A round after this many batches of this worker; undefined: only when called. */
  syncBatches: number | undefined;
  /**
   * Rounds fall only after syncBatches batches, a stop included (deterministic runs: an extra round
   * where a stop came would merge at other batches than the uninterrupted run, and a resumed run
   * would then end with other bytes). A stop then waits for each worker's next scheduled round.
   */
  scheduledRoundsOnly?: boolean;
  /** CSV: the label's column and the columns read past (they go into the state's schema, as in one thread). */
  layout?: ColumnLayout;
}

/** A worker's batches: readBatches' stream of its share, or the batches dealt to it. */
export type ShareSource = AsyncIterable<ReadBatch> & { readonly stats: ReadStats; featureDim: number | undefined; sparse: boolean };

/** Trains the share to its end (or until told to stop), uploading at every round. */
export async function trainShare(job: ShareJob, stream: ShareSource, rendezvous: Rendezvous): Promise<void> {
  const { algorithm, backend } = job;
  let state = job.state;
  let position: SourcePosition | null = job.start;
  let round = 1;
  let since = { batches: 0, records: 0 };
  const kernelsBefore = backend.counters.snapshot();
  const upload = async (done: boolean): Promise<RoundUpload> => {
    // A GPU backend's latest batches are added into the state's arrays before they travel.
    if (state) await settleState(state);
    // State-sized work done here, on this worker's core, rather than in the merge everyone waits for.
    if (state) algorithm.prepareUpload?.(state as never);
    return { worker: job.worker, round, state, position, done, ...since, bytes: stream.stats.bytes, badRecords: { ...stream.stats.badRecords },
      kernels: backend.counters.snapshot(kernelsBefore) };
  };
  for await (const batch of stream) {
    // Packed (one buffer for all tensors): each round moves it to the coordinator and back.
    state ??= packState(algorithm.createState(job.hyperparameters as never, schemaOf(stream.featureDim!, algorithm.labelSize, stream.sparse === true, batch, job.layout,
      stream.stats.featureNames?.names), backend) as State);
    await algorithm.update(state as never, batch, backend);
    position = { ...batch.position };
    since.batches++;
    since.records += batch.rows;
    const scheduled = job.syncBatches !== undefined && since.batches >= job.syncBatches;
    if (scheduled || (!job.scheduledRoundsOnly && rendezvous.roundCalled(round))) {
      const reply = await rendezvous.exchange(await upload(false));
      round++;
      since = { batches: 0, records: 0 };
      if (reply.stop) return;
      state = reply.state;
    }
  }
  await rendezvous.exchange(await upload(true));
}
