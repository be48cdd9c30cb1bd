// One connection to the Redis server a URL names, standalone or Redis Cluster
// (told by INFO cluster), through ioredis. The first connection fails at once
// with the reason (an unreachable server is one clear error, not retries
// forever); once connected, a dropped connection is retried for a while, so
// a server restart does not end a long job. Every failed command names the
// URL and the command.
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { loadIoRedis } from './ioredis-module.js';
import { RedisUrlError, type RedisConnectionOptions } from './redis-url.js';

/** Attempts, about 250 ms apart, to reconnect a connection that was up (a server restart, a network blip): a minute, as a cluster job's connection. */
const reconnectAttempts = 240;

/** A reply as ioredis gives it: strings (or Buffers from callBuffer), numbers, null, nested arrays. */
export type Reply = string | Buffer | number | null | Reply[];

/** A command that failed: refused by the server, or lost with the connection (`lostConnection`: its effect is unknown). */
export class RedisCommandError extends RedisUrlError {
  constructor(message: string, readonly lostConnection: boolean) {
    super(message);
  }
}

export interface LinkOptions {
  /**
   * Send again, after a reconnection, the commands whose replies were lost (ioredis's default).
   * A reader turns it off: an XREADGROUP sent twice may have delivered entries whose reply never
   * came, and the reader must find them in its pending list instead.
   */
  resendLost?: boolean;
}

/** A connection, standalone or to a cluster, with errors that say where they come from. */
export class RedisLink {
  /**
   * Without resending: the commands in flight, rejected when a connection closes (ioredis drops
   * them without settling them). Each is removed when it settles: a race of every command with one
   * promise of the connection's loss left a reaction on it per command, each holding its reply (an
   * XREADGROUP's entries), for as long as the connection lived.
   */
  private readonly inFlight: Set<(error: Error) => void> | undefined;

  private constructor(private readonly client: Redis | Cluster, readonly display: string, readonly cluster: boolean, resend: boolean) {
    if (resend) return;
    this.inFlight = new Set();
    const watch = (node: Redis) => node.on('close', () => this.connectionLost());
    if (client.isCluster) {
      (client as Cluster).nodes().forEach(watch);
      client.on('+node', watch);
    } else {
      watch(client as Redis);
    }
  }

  private connectionLost(): void {
    const lost = [...this.inFlight ?? []];
    this.inFlight?.clear();
    for (const reject of lost) reject(new Error('the connection was lost, and the reply with it'));
  }

  /**
   * Connects to the server, then, when `INFO cluster` says cluster_enabled:1, to the cluster through
   * it. Errors name the URL: an unreachable host or port, a refused password, a database number
   * on a cluster (which has only database 0).
   */
  static async open(connection: RedisConnectionOptions, display: string, options: LinkOptions = {}): Promise<RedisLink> {
    const up = { connected: false };
    const resend = options.resendLost ?? true;
    const { Redis, Cluster } = await loadIoRedis();
    const standalone = await connect(new Redis({ ...clientOptions(connection, up), autoResendUnfulfilledCommands: resend }), display, connection, up);
    const info = await standalone.info('cluster').catch((error: Error) => {
      standalone.disconnect();
      throw new RedisUrlError(`${display}: INFO cluster failed: ${error.message}`);
    });
    if (!/cluster_enabled:1/.test(info)) {
      await checkDatabase(standalone, display, connection.db);
      return new RedisLink(standalone, display, false, resend);
    }
    standalone.disconnect();
    if (connection.db !== 0) throw new RedisUrlError(`${display}: a Redis Cluster has only database 0, and the URL names /${connection.db}`);
    const clusterUp = { connected: false };
    const { db: _db, retryStrategy: _retry, ...nodeOptions } = clientOptions(connection, clusterUp);
    const cluster = new Cluster([{ host: connection.host, port: connection.port }], {
      lazyConnect: true, redisOptions: { ...nodeOptions, autoResendUnfulfilledCommands: resend },
      clusterRetryStrategy: (times) => (!clusterUp.connected || times > reconnectAttempts ? null : 250),
    });
    return new RedisLink(await connect(cluster, display, connection, clusterUp), display, true, resend);
  }

  /** Runs a command; the reply as strings. */
  call(...args: (string | number | Buffer)[]): Promise<Reply> {
    return this.settle(this.client.call(String(args[0]), ...args.slice(1)), args);
  }

  /** Runs a command; the reply as Buffers (binary-safe: recordIO data). */
  callBuffer(...args: (string | number | Buffer)[]): Promise<Reply> {
    return this.settle(this.client.callBuffer(String(args[0]), ...args.slice(1)), args);
  }

  private settle(command: Promise<unknown>, args: (string | number | Buffer)[]): Promise<Reply> {
    const inFlight = this.inFlight;
    const raced = inFlight ? new Promise<unknown>((resolve, reject) => {
      inFlight.add(reject);
      command.then(resolve, reject).finally(() => inFlight.delete(reject));
    }) : command;
    return raced.then((reply) => reply as Reply, (error: Error) => this.fail(args, error));
  }

  private fail(args: (string | number | Buffer)[], error: Error): never {
    throw new RedisCommandError(`${this.display}: ${String(args[0])} failed: ${error.message}`, error.name !== 'ReplyError');
  }

  /** Closes at once, abandoning a command in flight (a blocked XREADGROUP). */
  close(): void {
    this.client.disconnect();
  }
}

/** Options for one client; `up` says whether it has connected once (before that, no retries: the reason is reported at once). */
function clientOptions(connection: RedisConnectionOptions, up: { connected: boolean }): RedisOptions {
  return {
    host: connection.host, port: connection.port, db: connection.db,
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
    ...(connection.tls ? { tls: { servername: connection.host } } : {}),
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: reconnectAttempts,
    retryStrategy: (times) => (!up.connected || times > reconnectAttempts ? null : 250),
  };
}

/**
 * Connects, failing at once with the socket's or the server's reason; after that, reconnects a
 * dropped connection up to `reconnectAttempts` times. ioredis reports errors as events too:
 * they are kept for the message rather than printed.
 */
/**
 * The database the URL names, selected again and checked: ioredis reports a failed SELECT (a
 * database number the server lacks) as an event and goes on in database 0.
 */
export async function checkDatabase(client: Redis | Cluster, display: string, db: number): Promise<void> {
  if (db === 0 || client.isCluster) return;
  try {
    await client.select(db);
  } catch (error) {
    client.disconnect();
    throw new RedisUrlError(`${display}: database ${db}: ${(error as Error).message} (the server's \`databases\` setting bounds it)`);
  }
}

async function connect<C extends Redis | Cluster>(client: C, display: string, connection: RedisConnectionOptions,
  up: { connected: boolean }): Promise<C> {
  let lastError: Error | undefined;
  client.on('error', (error: Error) => { lastError = error; });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const reason = lastError && lastError !== error ? `${lastError.message}` : (error as Error).message;
    throw new RedisUrlError(`${display}: cannot connect to Redis at ${connection.host}:${connection.port}: ${reason}`);
  }
  up.connected = true;
  return client;
}
