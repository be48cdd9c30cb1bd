// When data-parallel workers meet: every N batches of each worker (rounds
// fall at the same batches in every run, so a seeded run is reproducible to
// the byte and a resumed one continues exactly), or every N seconds.
//
// The default is the algorithm's (Algorithm.roundBatches), else 8 batches: what
// kept the merged model within the merge tolerance of one worker (held-out AUC
// within 0.005, loss within 0.5%) on the flights data (400k and 2.4M rows, 2
// workers). Factorization machines need 8 (16 cost 0.7% log loss and 0.007 AUC on
// 400k rows, measured again 2026-12-03); the linear learner (32 models) keeps it at
// 16, 32 and 48 and not at 64 (0.007 AUC on 400k rows), so it meets every 32 (on
// 2026-12-03: ΔAUC −0.0003 on 400k rows, −0.0002 on 2.4M, 0.0000 on the generated
// 4M; every 16 took 7% longer on 2.4M rows): SGD workers that drift apart for long
// average into a worse model. README, "Data-parallel workers"; bench/workers.ts.
//
// Cluster jobs default to 128 batches: rounds through Redis cost tens to
// hundreds of milliseconds where rounds between threads cost microseconds, and
// on the flights data (2 members, bench/results/cluster.md) 128 kept the model
// within the merge tolerance while 8 spent most of a member's time in rounds;
// fewer rounds (auto below) were faster and fell outside it on that drifting,
// time-ordered stream. `auto` (cluster jobs only): a member meets the others
// once the time since its last round is 9 × what that round took (rounds at
// most a tenth of its time, whatever the network and the state's size), and
// not within a second of the last.
export type SyncEvery = { batches: number } | { seconds: number } | { auto: true };

export const defaultSyncEvery: SyncEvery = { batches: 8 };
/** The longest timed round: a timer's longest delay, 2^31 − 1 ms. */
export const maxSyncSeconds = Math.floor((2 ** 31 - 1) / 1000);
export const defaultClusterSyncEvery: SyncEvery = { batches: 128 };

/** The default policy of workers of one process training `algorithm` (its roundBatches, else 8 batches). */
export function defaultSyncEveryOf(algorithm: { roundBatches?: number }): SyncEvery {
  return algorithm.roundBatches === undefined ? defaultSyncEvery : { batches: algorithm.roundBatches };
}

/** Checks a policy (`fallback` when none is given); deterministic runs need batch-counted rounds. Errors name the option. */
export function resolveSyncEvery(sync: SyncEvery | undefined, deterministic: boolean, fallback: SyncEvery = defaultSyncEvery): SyncEvery {
  const policy = sync ?? fallback;
  const keys = typeof policy === 'object' && policy !== null ? Object.keys(policy) : [];
  if (keys.length !== 1 || (keys[0] !== 'batches' && keys[0] !== 'seconds' && keys[0] !== 'auto')) {
    throw new RangeError(`train: syncEvery must be { batches: N }, { seconds: N } or { auto: true }, got ${JSON.stringify(policy)}`);
  }
  if ('auto' in policy) {
    if (policy.auto !== true) throw new RangeError(`train: syncEvery.auto must be true, got ${JSON.stringify(policy.auto)}`);
    if (deterministic) throw new RangeError('train: deterministic training merges every N batches (syncEvery { batches }, --sync-every N), not auto: timed rounds fall at different batches each run');
    return policy;
  }
  if ('batches' in policy) {
    if (!Number.isSafeInteger(policy.batches) || policy.batches < 1) throw new RangeError(`train: syncEvery.batches must be a positive integer, got ${policy.batches}`);
    return policy;
  }
  if (!(policy.seconds > 0) || !Number.isFinite(policy.seconds)) throw new RangeError(`train: syncEvery.seconds must be a positive number, got ${policy.seconds}`);
  // A timer's longest delay (2^31 − 1 ms): beyond it Node fires after 1 ms, and rounds came every millisecond.
  if (policy.seconds > maxSyncSeconds) throw new RangeError(`train: syncEvery.seconds must be at most ${maxSyncSeconds} (24.8 days), got ${policy.seconds}`);
  if (deterministic) {
    throw new RangeError('train: deterministic training merges every N batches (syncEvery { batches }, --sync-every N), not every N seconds: timed rounds fall at different batches each run');
  }
  return policy;
}

/** --sync-every: N or Nb (batches), Ns (seconds), or auto. Returns undefined for a bad value. */
export function parseSyncEvery(raw: string): SyncEvery | undefined {
  if (raw === 'auto') return { auto: true };
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(raw);
  if (seconds && Number(seconds[1]) > 0) return { seconds: Number(seconds[1]) };
  // Nb as --checkpoint-every writes batches; a bare N is batches too (the default kind here).
  const batches = /^(\d+)b?$/.exec(raw);
  if (batches && Number(batches[1]) > 0 && Number.isSafeInteger(Number(batches[1]))) return { batches: Number(batches[1]) };
  return undefined;
}
