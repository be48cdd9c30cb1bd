// The entry point of a data-parallel worker thread: it waits for a pass
// (its share, the state to continue from), trains it with trainShare and
// reports errors to the coordinator. The native addon loads in every thread;
// its thread pool is the process's, shared by all workers.
import { parentPort, workerData } from 'node:worker_threads';
import '../algorithms/builtin.js';
import { getAlgorithm, loadAlgorithmModule } from '../algorithms/registry.js';
import { resolveBackend, type BackendChoice } from '../backends/select.js';
import type { ReadOptions } from '../io/read-options.js';
import { PortRendezvous, type FromWorker, type SerializedJob, type ToWorker } from './port-rendezvous.js';
import { trainShare } from './share-trainer.js';

const port = parentPort!;
const rendezvous = new PortRendezvous(port, new Int32Array((workerData as { called: SharedArrayBuffer }).called));
const loadedModules = new Set<string>();

async function runPass(job: SerializedJob): Promise<void> {
  if (job.algorithmModule && !loadedModules.has(job.algorithmModule)) {
    await loadAlgorithmModule(job.algorithmModule);
    loadedModules.add(job.algorithmModule);
  }
  await trainShare({
    worker: job.worker, algorithm: getAlgorithm(job.algorithm), backend: await resolveBackend(job.backend as BackendChoice | undefined),
    hyperparameters: job.hyperparameters, train: job.train, readOptions: job.readOptions as unknown as ReadOptions,
    state: job.state, syncBatches: job.syncBatches,
  }, rendezvous);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'reply') {
    rendezvous.receive(message.reply);
    return;
  }
  runPass(message.job).catch((error: Error) => {
    port.postMessage({ type: 'error', error: { name: error.name, message: error.message, stack: error.stack } } satisfies FromWorker);
  });
});
