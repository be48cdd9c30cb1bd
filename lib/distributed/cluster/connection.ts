// A connection to the Redis that holds a cluster job: redis:// or rediss://
// (TLS) URLs with an optional user, password and database, through ioredis.
// A Redis Cluster is found by asking the server (INFO cluster), so the same
// URL works for one server or any node of a cluster. The first connection
// fails fast with the URL in the message; once connected, a lost connection
// (Redis restarted, a failover) is retried with backoff for `reconnectSeconds`
// and the commands in flight wait for it rather than fail.
//
// URLs are parsed as the stream source parses them (lib/io/redis/redis-url.ts). The connection is
// not the stream reader's RedisLink: that one sends a command at a time and must not resend one
// lost with a connection (an XREADGROUP may have delivered entries), while a job needs the client
// itself — pipelines, Lua scripts, BLPOP on a second connection — and its commands (idempotent
// scripts) wait through a reconnect.
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { loadIoRedis } from '../../io/redis/ioredis-module.js';
import { parseRedisServerUrl, RedisUrlError, type RedisConnectionOptions } from '../../io/redis/redis-url.js';
import { checkDatabase } from '../../io/redis/redis-connection.js';

/** One server or a cluster: the commands the job store uses are common to both. */
export type RedisClient = Redis | Cluster;

export interface RedisAddress extends RedisConnectionOptions {
  /** The URL with the password hidden, for messages. */
  display: string;
}

/**
 * Parses redis://[USER:PASS@]HOST:PORT[/DB] (rediss:// for TLS) as `option` takes it: a server,
 * no query. Errors (RangeError) name the option, the URL and what was expected.
 */
export function parseRedisUrl(url: string, option = '--cluster'): RedisAddress {
  try {
    const { display, connection, parsed } = parseRedisServerUrl(url, {
      short: 'redis://[USER:PASS@]HOST:PORT[/DB]', full: 'redis://[USER:PASS@]HOST:PORT[/DB]', path: ' (a job\'s server is redis://HOST:PORT[/DB])',
    });
    if (parsed.search !== '') throw new RedisUrlError(`${display}: a job's server takes no query string, got ${JSON.stringify(parsed.search)}`);
    return { ...connection, display };
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    throw new RangeError(`${option} ${error.message}`);
  }
}

export interface ConnectOptions {
  /** How long a lost connection is retried before commands fail (default 60 s). */
  reconnectSeconds?: number;
  /** How long the first connection may take (default 5 s). */
  connectSeconds?: number;
}

function baseOptions(address: RedisAddress, options: ConnectOptions): RedisOptions {
  const reconnectMs = (options.reconnectSeconds ?? 60) * 1000;
  let lostAt = Date.now();
  return {
    username: address.username, password: address.password, db: address.db,
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    lazyConnect: true,
    connectTimeout: (options.connectSeconds ?? 5) * 1000,
    // Commands wait through a reconnect instead of failing after a count of retries.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => {
      // `times` starts again at 1 with each loss (ioredis resets it once connected): each loss has
      // its own window, else a second restart after the window was spent failed the member at once.
      if (times === 1) lostAt = Date.now();
      if (Date.now() - lostAt > reconnectMs) return null;
      return Math.min(50 * 2 ** Math.min(times, 6), 2000);
    },
  };
}

/** Connects to `url`'s server, or to its cluster when the server is a cluster node. */
export async function connectRedis(url: string, options: ConnectOptions = {}, option = '--cluster'): Promise<{ client: RedisClient; address: RedisAddress }> {
  const address = parseRedisUrl(url, option);
  const { Redis, Cluster } = await loadIoRedis();
  const probe = new Redis({ host: address.host, port: address.port, ...baseOptions(address, options), retryStrategy: () => null });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, a TLS failure) says more than connect()'s "Connection is closed".
  let socketError: Error | undefined;
  probe.on('error', (error: Error) => { socketError ??= error; });
  let clusterEnabled: boolean;
  try {
    await probe.connect();
    clusterEnabled = /cluster_enabled:1/.test(await probe.info('cluster'));
  } catch (error) {
    probe.disconnect();
    throw new Error(`cannot reach Redis at ${address.display} (${option}): ${(socketError ?? error as Error).message}`);
  }
  if (!clusterEnabled) {
    probe.disconnect();
    const client = new Redis({ host: address.host, port: address.port, ...baseOptions(address, options) });
    client.on('error', () => undefined);  // reconnects are retried; commands report what fails
    await client.connect();
    try {
      await checkDatabase(client, address.display, address.db);
    } catch (error) {
      throw new RangeError(`${option} ${(error as Error).message}`);
    }
    return { client, address };
  }
  probe.disconnect();
  if (address.db !== 0) throw new RangeError(`${option} ${address.display}: a Redis Cluster has only database 0`);
  const cluster = new Cluster([{ host: address.host, port: address.port }], {
    redisOptions: { ...baseOptions(address, options), db: undefined },
    lazyConnect: true,
    clusterRetryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  });
  cluster.on('error', () => undefined);
  await cluster.connect();
  return { client: cluster, address };
}

/** Every master's connection: where SCAN must run to see all keys. */
export function scanTargets(client: RedisClient): Redis[] {
  return client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
}
