// A cluster job's connection (lib/distributed/cluster/connection.ts) through a
// proxy that drops it (reply-dropping-proxy.ts): each loss of the connection is
// retried for the reconnect window anew, not the window of the first loss.
import assert from 'node:assert/strict';
import { connectRedis } from '../../lib/distributed/cluster/connection.js';
import { ReplyDroppingProxy } from '../fixtures/reply-dropping-proxy.js';
import { RedisServer } from '../fixtures/redis-server.js';

describe('cluster job connection', function () {
  this.timeout(60_000);

  it('a second lost connection, later than the reconnect window after the first, is retried too', async () => {
    const server = await RedisServer.start();
    const proxy = await ReplyDroppingProxy.start(server.port);
    const { client } = await connectRedis(proxy.url, { reconnectSeconds: 0.5 });
    try {
      for (const marker of ['first-loss', 'second-loss']) {
        const dropped = proxy.dropReplyTo(marker);
        const echo = client.echo(marker);
        await dropped;
        proxy.release();
        assert.equal(await echo, marker);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      client.disconnect();
      await proxy.close();
      await server.close();
    }
  });
});
