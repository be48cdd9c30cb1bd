// When data-parallel workers meet: every N batches of each worker (rounds
// fall at the same batches in every run, so a seeded run is reproducible to
// the byte and a resumed one continues exactly), or every N seconds.
//
// The default, 8 batches, keeps the merged model within the merge tolerance
// of one worker (held-out AUC within 0.005, loss within 0.5%) for the linear
// learner and factorization machines on the flights data (400k rows, 2
// workers); 64 did not (SGD workers that drift apart for long average into a
// worse model). README, "Data-parallel workers"; bench/workers.ts.
export type SyncEvery = { batches: number } | { seconds: number };

export const defaultSyncEvery: SyncEvery = { batches: 8 };

/** Checks a policy; deterministic runs need batch-counted rounds. Errors name the option. */
export function resolveSyncEvery(sync: SyncEvery | undefined, deterministic: boolean): SyncEvery {
  const policy = sync ?? defaultSyncEvery;
  const keys = typeof policy === 'object' && policy !== null ? Object.keys(policy) : [];
  if (keys.length !== 1 || (keys[0] !== 'batches' && keys[0] !== 'seconds')) {
    throw new RangeError(`train: syncEvery must be { batches: N } or { seconds: N }, got ${JSON.stringify(policy)}`);
  }
  if ('batches' in policy) {
    if (!Number.isSafeInteger(policy.batches) || policy.batches < 1) throw new RangeError(`train: syncEvery.batches must be a positive integer, got ${policy.batches}`);
    return policy;
  }
  if (!(policy.seconds > 0) || !Number.isFinite(policy.seconds)) throw new RangeError(`train: syncEvery.seconds must be a positive number, got ${policy.seconds}`);
  if (deterministic) {
    throw new RangeError('train: deterministic training merges every N batches (syncEvery { batches }, --sync-every N), not every N seconds: timed rounds fall at different batches each run');
  }
  return policy;
}

/** --sync-every: N or Nb (batches), or Ns (seconds). Returns undefined for a bad value. */
export function parseSyncEvery(raw: string): SyncEvery | undefined {
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(raw);
  if (seconds && Number(seconds[1]) > 0) return { seconds: Number(seconds[1]) };
  // Nb as --checkpoint-every writes batches; a bare N is batches too (the default kind here).
  const batches = /^(\d+)b?$/.exec(raw);
  if (batches && Number(batches[1]) > 0 && Number.isSafeInteger(Number(batches[1]))) return { batches: Number(batches[1]) };
  return undefined;
}
