// The entry point of a data-parallel worker thread: it waits for a pass
// (its share, the state to continue from), trains it with trainShare and
// reports errors to the coordinator. The native addon loads in every thread;
// its thread pool is the process's, shared by all workers.
import { parentPort, workerData } from 'node:worker_threads';
import '../algorithms/builtin.js';
import { getAlgorithm, loadAlgorithmModule } from '../algorithms/registry.js';
import type { Backend } from '../backends/registry.js';
import { resolveBackend, type BackendChoice } from '../backends/select.js';
import { readBatches } from '../io/read-batches.js';
import type { ReadOptions } from '../io/read-options.js';
import { DealtBatches } from './dealt-batches.js';
import { PortRendezvous, type FromWorker, type SerializedJob, type ToWorker, type WorkerData } from './port-rendezvous.js';
import { loadCoreAddon } from '../backends/native-addon.js';
import { trainShare, type ShareSource } from './share-trainer.js';

const port = parentPort!;
const data = workerData as WorkerData;
const rendezvous = new PortRendezvous(port, new Int32Array(data.called));
if (data.serial) loadCoreAddon().setCallerSerial(true);
const loadedModules = new Set<string>();
/** The backend each pass names, made once per thread. */
const backends = new Map<string | undefined, Promise<Backend>>();
/** The batches dealt to this worker in the running pass (a stream's). */
let dealt: DealtBatches | undefined;
/** Stops the running pass's reading when the coordinator ends the pool. */
let reading: AbortController | undefined;

async function runPass(job: SerializedJob): Promise<void> {
  if (job.algorithmModule && !loadedModules.has(job.algorithmModule)) {
    await loadAlgorithmModule(job.algorithmModule);
    loadedModules.add(job.algorithmModule);
  }
  const readOptions = job.readOptions as unknown as ReadOptions;
  reading = new AbortController();
  const source: ShareSource = job.train === undefined ? dealt! : readBatches(job.train, { ...readOptions, signal: reading.signal });
  if (!backends.has(job.backend)) backends.set(job.backend, resolveBackend(job.backend as BackendChoice | undefined));
  await trainShare({
    worker: job.worker, algorithm: getAlgorithm(job.algorithm), backend: await backends.get(job.backend)!,
    hyperparameters: job.hyperparameters, start: readOptions.start ?? null, state: job.state, syncBatches: job.syncBatches,
    scheduledRoundsOnly: job.scheduledRoundsOnly, layout: readOptions,
  }, source, rendezvous);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    // The pool ends (another worker failed, or the run is over): stop reading, take no more
    // messages, and let the thread end by itself once the native calls in flight return. (Being
    // terminated with a call in flight aborted the process from that call's completion.)
    reading?.abort();
    port.close();
    return;
  }
  if (message.type === 'reply') {
    rendezvous.receive(message.reply);
    return;
  }
  if (message.type === 'batch' || message.type === 'end') {
    dealt!.push(message.type === 'batch' ? message.dealt : null);
    return;
  }
  // A pass over a stream: its batches arrive as messages (made now, before the first can come).
  dealt = message.job.train === undefined ? new DealtBatches(() => port.postMessage({ type: 'taken' } satisfies FromWorker)) : undefined;
  runPass(message.job).catch((error: Error) => {
    if (reading?.signal.aborted) return;  // stopped by the coordinator: nobody waits for this pass
    port.postMessage({ type: 'error', error: { name: error.name, message: error.message, stack: error.stack } } satisfies FromWorker);
  });
});
