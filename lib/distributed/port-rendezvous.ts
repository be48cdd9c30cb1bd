// The Rendezvous of a worker thread: uploads go to the coordinating thread
// over the worker's MessagePort (the state's buffers transferred, not
// copied) and the merge comes back the same way. Rounds called by time or by
// a stop are read from a shared Int32 (the highest round called), so a worker
// sees a call at its next batch boundary without waiting for a message.
import type { MessagePort } from 'node:worker_threads';
import type { Rendezvous, RoundReply, RoundUpload } from './rendezvous.js';
import { transferList } from './state-transfer.js';
import type { DealtBatch } from './dealt-batches.js';

/** Messages between the coordinator and a worker thread. */
export type ToWorker = { type: 'pass'; job: SerializedJob } | { type: 'reply'; reply: RoundReply }
  | { type: 'batch'; dealt: DealtBatch } | { type: 'end' } | { type: 'stop' };
export type FromWorker = { type: 'upload'; upload: RoundUpload } | { type: 'error'; error: { name: string; message: string; stack?: string } }
  | { type: 'taken' };

/** What a worker thread starts with: the shared round-call cell, and whether its data work keeps to one core. */
export interface WorkerData {
  called: SharedArrayBuffer;
  serial: boolean;
}

/** A ShareJob as it crosses the port: the algorithm and backend by name. */
export interface SerializedJob {
  worker: number;
  algorithm: string;
  /** The module that registers a custom algorithm (--algorithm-module), loaded first. */
  algorithmModule?: string;
  backend?: string;
  hyperparameters: Record<string, unknown>;
  /** The files to read a share of; undefined: a stream, whose batches are dealt to the worker. */
  train: string | string[] | undefined;
  readOptions: Record<string, unknown>;
  state: import('../algorithms/types.js').State | undefined;
  syncBatches: number | undefined;
  /** Deterministic runs: a round only after syncBatches batches, a stop's included (see ShareJob). */
  scheduledRoundsOnly: boolean;
}

export class PortRendezvous implements Rendezvous {
  private pending: ((reply: RoundReply) => void) | undefined;

  constructor(private readonly port: MessagePort, private readonly called: Int32Array) {}

  roundCalled(round: number): boolean {
    return Atomics.load(this.called, 0) >= round;
  }

  exchange(upload: RoundUpload): Promise<RoundReply> {
    if (this.pending) throw new Error('merge round: an upload is already waiting for its round (a bug)');
    const reply = new Promise<RoundReply>((resolve) => { this.pending = resolve; });
    this.port.postMessage({ type: 'upload', upload } satisfies FromWorker, upload.state ? transferList(upload.state) : []);
    return reply;
  }

  /** The coordinator's answer to the waiting upload. */
  receive(reply: RoundReply): void {
    const resolve = this.pending;
    if (!resolve) throw new Error('merge round: a reply came with no upload waiting (a bug)');
    this.pending = undefined;
    resolve(reply);
  }
}
