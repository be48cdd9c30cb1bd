// The rendezvous's wait for a round, against a scripted store: the race where
// the pass's last round merges this member's upload between its look at the
// upload's fate and its look at the job's epoch. Under load on 2 cores this
// happened in about 1 run in 20 of the cluster test's `workers: 3` job: the
// merged upload was taken for dropped, its member's records went uncounted
// (and a stream reader's entries would stay unacknowledged).
import assert from 'node:assert/strict';
import { RedisRendezvous, type RendezvousSettings } from '../../lib/distributed/cluster/redis-rendezvous.js';
import type { MergedStateCache } from '../../lib/distributed/cluster/round-closer.js';
import '../../lib/algorithms/builtin.js';
import { getAlgorithm } from '../../lib/algorithms/registry.js';

type Fate = 'pending' | 'merged' | 'dropped';

/** A store whose upload fates come from `fates` in turn and whose job is at `epoch`, `round`. */
function scriptedStore(fates: Fate[], epoch: number, round: number) {
  const looks: Fate[] = [];
  return {
    looks,
    async fate() { const fate = fates[Math.min(looks.length, fates.length - 1)]; looks.push(fate); return { fate }; },
    async meta() { return { status: epoch > 0 ? 'finished' : 'training', epoch, round, records: 30000 }; },
    async waitForNotice() { throw new Error('the wait should have ended without waiting for a notice'); },
  };
}

function rendezvous(store: ReturnType<typeof scriptedStore>): { waitForMerge(sequence: number, baseRound: number, epoch: number): Promise<string> } {
  const settings = { store, member: 'm', algorithm: getAlgorithm('linear-learner') } as unknown as RendezvousSettings;
  return new RedisRendezvous(settings, {} as MergedStateCache) as never;
}

describe('cluster rendezvous: waiting for a round', () => {
  it('an upload merged by the round that ended the pass is merged, not dropped (the fate is looked at again)', async () => {
    const store = scriptedStore(['pending', 'merged'], 1, 7);
    assert.equal(await rendezvous(store).waitForMerge(3, 7, 0), 'merged');
    assert.deepEqual(store.looks, ['pending', 'merged']);
  });

  it('an upload still pending after its pass ended is dropped; one a moved round did not merge is behind', async () => {
    assert.equal(await rendezvous(scriptedStore(['pending'], 1, 7)).waitForMerge(3, 7, 0), 'dropped');
    assert.equal(await rendezvous(scriptedStore(['pending'], 0, 8)).waitForMerge(3, 7, 0), 'behind');
    assert.equal(await rendezvous(scriptedStore(['pending', 'merged'], 0, 8)).waitForMerge(3, 7, 0), 'merged');
  });
});
