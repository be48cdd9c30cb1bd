// A cluster job's scripts run twice: a Redis restart can drop a command's reply
// after the command ran, and ioredis sends it again once reconnected, with other
// members' commands run in between. A proxy (reply-dropping-proxy.ts) loses one
// reply on member a's connection and holds its reconnection while member b,
// on a connection of its own, does what the test needs; then the resend runs.
// Every script must answer the resend as it answered the first run, or refuse
// it, and never apply its change twice (a merged upload stored again is
// merged again: its records counted twice).
import assert from 'node:assert/strict';
import { connectRedis, type RedisClient } from '../../lib/distributed/cluster/connection.js';
import { JobStore, type PendingUpload } from '../../lib/distributed/cluster/job-store.js';
import { ReplyDroppingProxy } from '../fixtures/reply-dropping-proxy.js';
import { RedisServer } from '../fixtures/redis-server.js';

const leaseMs = 60_000;

describe('cluster job scripts sent again after a lost reply', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let proxy: ReplyDroppingProxy;
  let clients: RedisClient[] = [];
  let a: JobStore;
  let b: JobStore;
  let jobs = 0;
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    jobs++;
    proxy = await ReplyDroppingProxy.start(server.port);
    clients = [(await connectRedis(proxy.url)).client, (await connectRedis(server.url)).client];
    a = new JobStore(clients[0], 'boundless:', `replay-${jobs}`, 3600);
    b = new JobStore(clients[1], 'boundless:', `replay-${jobs}`, 3600);
    await a.create('{}');
  });
  afterEach(async () => {
    for (const client of clients) client.disconnect();
    await proxy.close();
  });

  const upload = (sequence: number, records: number): Omit<PendingUpload, 'at' | 'chunks'> => ({
    member: 'a', sequence, baseRound: 0, epoch: 0, shard: 0, position: { fileIndex: 0, byteOffset: 1000 * sequence, records },
    done: false, records, batches: 1, bytes: 1000, badRecords: {},
  });

  /** Runs `call` on member a with its reply lost; `between` runs before the resend. */
  async function withLostReply<T>(marker: string, call: () => Promise<T>, between: () => Promise<void>): Promise<T> {
    const dropped = proxy.dropReplyTo(marker);
    const result = call();
    await dropped;
    await between();
    proxy.release();
    return result;
  }

  it('an upload merged before its resend is not stored again: its records count once', async () => {
    assert.deepEqual(await a.claim('a', 0, 0, leaseMs, false), { kind: 'claimed', position: null });
    const stored = await withLostReply('"baseRound"', () => a.upload(upload(1, 1034), undefined, leaseMs), async () => {
      // Member b closes a round on the upload the first run stored.
      const view = await b.roundView();
      assert.deepEqual(view.uploads.map((u) => [u.member, u.sequence]), [['a', 1]]);
      const shard = { position: view.uploads[0].position, done: false };
      assert.equal(await b.commitRound('b', view.meta!, undefined, { records: 1034, batches: 1 }, 0, [[0, shard]], view.uploads), true);
    });
    assert.equal(stored, true);
    const view = await b.roundView();
    assert.deepEqual(view.uploads, [], 'the resend stored the merged upload as pending again: the next round merges it twice');
    assert.deepEqual(await a.fate('a', 1), { fate: 'merged' });
    assert.equal(view.meta!.records, 1034);
  });

  it('an upload still pending at its resend stays as stored, its chunks kept, though its shard was taken over since', async () => {
    await a.claim('a', 0, 0, leaseMs, false);
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const stored = await withLostReply('"baseRound"', () => a.upload(upload(1, 500), bytes, leaseMs), async () => {
      // Member a's lease expires; b takes the shard over, continuing after a's pending upload.
      await clients[1].del(b.keys.lease(0, 0, 'a'));
      assert.deepEqual(await b.claim('b', 0, 0, leaseMs, false), { kind: 'claimed', position: upload(1, 500).position });
    });
    assert.equal(stored, true, 'the resend answered "lease lost" for an upload the first run stored');
    const [pending] = (await b.roundView()).uploads;
    assert.equal(pending?.sequence, 1);
    assert.deepEqual(await b.uploadBytes(pending), Buffer.from(bytes));
  });

  it('a claim is the member\'s on its resend, not leased to another', async () => {
    const claim = await withLostReply(b.keys.lease(0, 1, 'a'), () => a.claim('a', 0, 1, leaseMs, false), async () => undefined);
    assert.deepEqual(claim, { kind: 'claimed', position: null });
    assert.equal(await clients[1].get(b.keys.lease(0, 1, 'a')), 'a');
  });

  it('the round closer\'s claim is the closer\'s on its resend', async () => {
    assert.equal(await withLostReply(b.keys.closeLock, () => a.takeCloseLock('a', leaseMs), async () => undefined), true);
    assert.equal(await b.takeCloseLock('b', leaseMs), false);
  });

  it('a commit whose reply was lost changes nothing on its resend', async () => {
    await a.claim('a', 0, 0, leaseMs, false);
    await a.upload(upload(1, 700), undefined, leaseMs);
    const view = await a.roundView();
    const committed = await withLostReply('"records","700"', () => a.commitRound('a', view.meta!, undefined, { records: 700, batches: 1 }, 0,
      [[0, { position: view.uploads[0].position, done: false }]], view.uploads), async () => undefined);
    assert.equal(committed, false);  // the resend finds the round moved on (by its own first run)
    const meta = (await b.meta())!;
    assert.deepEqual([meta.round, meta.records], [1, 700]);
  });
});
