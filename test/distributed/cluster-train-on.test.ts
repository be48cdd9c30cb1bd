// A cluster member that trains on past its upload (redis-rendezvous.ts): when
// a round closes on another member's upload while this member's is being
// stored, its upload is left behind for good; the member's next upload holds
// those records in its state and must count them too. Forced here by closing
// a round between the member's look at the round and its upload.
import assert from 'node:assert/strict';
import { readBatches, type State } from '../../lib/index.js';
import '../../lib/algorithms/builtin.js';
import { getAlgorithm } from '../../lib/algorithms/registry.js';
import { parseHyperparameters } from '../../lib/algorithms/hyperparameters.js';
import { stateToBytes } from '../../lib/algorithms/persistence.js';
import { resolveBackend } from '../../lib/backends/select.js';
import { connectRedis, type RedisClient } from '../../lib/distributed/cluster/connection.js';
import { JobStore } from '../../lib/distributed/cluster/job-store.js';
import { MergedStateCache, tryCloseRound } from '../../lib/distributed/cluster/round-closer.js';
import { LeaseLostError, RedisRendezvous } from '../../lib/distributed/cluster/redis-rendezvous.js';
import { ClusterMember } from '../../lib/distributed/cluster/member.js';
import type { JobSpec } from '../../lib/distributed/cluster/job-spec.js';
import { copyState } from '../../lib/distributed/state-transfer.js';
import { RedisServer } from '../fixtures/redis-server.js';
import { classification } from '../fixtures/classification-csv.js';

const leaseMs = 60_000;

describe('cluster members that train on past an upload', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let clients: RedisClient[] = [];
  before(async () => { server = await RedisServer.start(); });
  after(async () => {
    for (const client of clients) client.disconnect();
    await server?.close();
  });

  /** A job with members a and b on their own connections, and a's rendezvous; b's round can be forced before a's next upload. */
  async function setUp(job: string, shards: number) {
    const algorithm = getAlgorithm('linear-learner');
    const backend = await resolveBackend('cpu');
    const hp = parseHyperparameters('linear-learner', algorithm.hyperparameters, { predictor_type: 'binary_classifier', num_models: 2 });
    clients.push((await connectRedis(server.url)).client, (await connectRedis(server.url)).client);
    const store = new JobStore(clients.at(-2)!, 'boundless:', job, 3600);
    await store.create('{}');
    const settings = (member: string) => ({
      store, blocking: clients.at(-1)!, member, algorithm, backend, shards, epochs: 1, roundTimeoutMs: 60_000, leaseMs,
      hyperparameters: hp as Record<string, unknown>, syncEvery: { batches: 1 } as const,
    });
    const a = new RedisRendezvous(settings('a'), new MergedStateCache(store, algorithm, backend));
    const box = { state: algorithm.createState(hp as never, { featureDim: 8, labelSize: 1, sparse: false }, backend) as State };
    /** Trains a's state on 500 rows of its own (readBatches reuses its batches: one read per call). */
    const trainOn = async (seed: number) => {
      for await (const batch of readBatches([Buffer.from(classification(seed, 500))], { miniBatchSize: 500 })) await algorithm.update(box.state as never, batch, backend);
    };
    /** Member b's upload (500 records, shard `shard`) and its round, before a's next upload: a's is left behind. */
    const forceRoundBeforeNextUpload = (shard: number) => {
      const real = store.upload.bind(store);
      let forced = false;
      store.upload = async (entry, bytes, ms) => {
        if (!forced && entry.member === 'a') {
          forced = true;
          const other = copyState(box.state);
          other.scalars.examples_seen = 500;
          await real({ member: 'b', sequence: 1, baseRound: 0, epoch: 0, shard, position: null, done: false, records: 500,
            batches: 1, bytes: 0, badRecords: {} }, stateToBytes(other), ms);
          assert.ok(await tryCloseRound(settings('b'), new MergedStateCache(store, algorithm, backend)));
        }
        return real(entry, bytes, ms);
      };
    };
    const upload = (index: number, done: boolean) => ({
      worker: 0, round: index + 1, state: box.state, position: { fileIndex: 0, byteOffset: 1000 * (index + 1), records: 500 * (index + 1) },
      done, batches: 1, records: 500, bytes: 1000 * (index + 1), badRecords: {},
    });
    return { store, a, box, trainOn, forceRoundBeforeNextUpload, upload, settings };
  }

  it('an upload left behind by a round is counted by the next upload, whose state holds it: every record once', async () => {
    const { store, a, box, trainOn, forceRoundBeforeNextUpload, upload } = await setUp('left-behind', 2);
    for (const [shard, member] of ['a', 'b'].entries()) await store.claim(member, 0, shard, leaseMs, true);
    a.current = { epoch: 0, shard: 0 };
    forceRoundBeforeNextUpload(1);
    for (let index = 0; index < 3; index++) {
      await trainOn(40 + index);
      const reply = await a.exchange(upload(index, index === 2));
      box.state = reply.state!;
    }
    // The last upload is sent in the background; the member waits for it at the shard's end, as here.
    await a.flush();
    const meta = (await store.meta())!;
    // b's 500 and a's three batches of 500, the first of them in an upload left behind.
    assert.equal(meta.records, 2000);
    assert.equal(meta.batches, 4);
  });

  it('an upload is sent in the background: the exchange returns before it is stored, flush waits for it and its round', async () => {
    const { store, a, box, trainOn, upload } = await setUp('background', 1);
    await store.claim('a', 0, 0, leaseMs, true);
    a.current = { epoch: 0, shard: 0 };
    let release = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const real = store.upload.bind(store);
    let started = 0;
    store.upload = async (entry, bytes, ms) => {
      started++;
      await gate;
      return real(entry, bytes, ms);
    };
    await trainOn(60);
    const reply = await a.exchange(upload(0, false));
    // The member trains on from its own state while the upload waits.
    assert.equal(reply.state, box.state);
    assert.equal(started, 1);
    assert.equal((await store.meta())!.records, 0);
    release();
    await a.flush();
    // Stored, and the round closed by this member (the only reader).
    assert.equal((await store.meta())!.records, 500);
  });

  it('a lease lost while the upload is sent in the background is the LeaseLostError of flush, not an unhandled rejection', async () => {
    const { store, a, trainOn, upload } = await setUp('background-lost', 1);
    await store.claim('a', 0, 0, leaseMs, true);
    a.current = { epoch: 0, shard: 0 };
    store.upload = async () => false;
    await trainOn(61);
    await a.exchange(upload(0, false));
    // Give the background a turn of the event loop: a rejection nobody handled would end the test run here.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(a.flush(), (e: Error) => e instanceof LeaseLostError && /shard 0: the lease expired/.test(e.message));
    // Once thrown, the error is not thrown again.
    await a.flush();
  });

  it('a member with no shard left settles its last shard\'s upload a round left behind, and does not read that shard again', async () => {
    const { store, a, trainOn, forceRoundBeforeNextUpload, upload, settings } = await setUp('finishing', 2);
    await store.claim('a', 0, 0, leaseMs, true);
    await store.claim('b', 0, 1, leaseMs, true);
    a.current = { epoch: 0, shard: 0 };
    forceRoundBeforeNextUpload(1);
    await trainOn(62);
    await a.exchange(upload(0, true));
    await a.flush();
    a.current = undefined;
    // Left behind: the round closed on b's upload while a's was being stored.
    assert.deepEqual(a.finishing, { epoch: 0, shard: 0 });
    assert.equal((await store.meta())!.records, 500);
    // The member looks for a shard: not its own (leased to it, and held in its state already), not b's.
    const member = new ClusterMember(store, { shards: 2, lease: leaseMs / 1000 } as JobSpec, settings('a').algorithm, settings('a').blocking);
    Object.assign(member, { rendezvous: a });
    assert.equal(await (member as unknown as { claimNext(epoch: number): Promise<unknown> }).claimNext(0), undefined);
    // So it settles the upload: rebased and sent again until a round merges it.
    await a.settleFinishing();
    assert.equal(a.finishing, undefined);
    assert.equal((await store.shards(0)).get(0)?.done, true);
    assert.equal((await store.meta())!.records, 1000);
  });

  it('a shard\'s last upload left behind is sent again before the member\'s next shard uploads: the shard ends, its records once', async () => {
    const { store, a, box, trainOn, forceRoundBeforeNextUpload, upload } = await setUp('last-left-behind', 3);
    await store.claim('a', 0, 0, leaseMs, true);
    await store.claim('b', 0, 2, leaseMs, true);
    a.current = { epoch: 0, shard: 0 };
    forceRoundBeforeNextUpload(2);
    await trainOn(50);
    box.state = (await a.exchange(upload(0, true))).state!;
    await a.flush();
    // The member trains on from its own state on its next shard.
    await store.claim('a', 0, 1, leaseMs, true);
    a.current = { epoch: 0, shard: 1 };
    assert.equal(await a.startState(), box.state);
    await trainOn(51);
    await a.exchange(upload(0, false));
    await a.flush();
    const shards = await store.shards(0);
    // Shard 0 ended with its records in a merge: no member will read it again (had its end been carried by shard 1's upload, it would be).
    assert.equal(shards.get(0)?.done, true);
    const meta = (await store.meta())!;
    assert.equal(meta.records, 1500);
  });
});
