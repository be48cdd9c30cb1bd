// A Redis stream named by a URL, as `--train` and `produce --to` take it:
//   redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]?stream=KEY[&group=G][&consumer=C][&count=N][&claim-after=S]
// Parsed and checked in one place, before anything connects; every error
// names the URL with its password hidden.

/** How to reach the server (ioredis options). */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Database number (SELECT); 0 unless the path names one. A Redis Cluster has only 0. */
  db: number;
  /** rediss://: TLS, with the host as the server name. */
  tls: boolean;
}

/** A stream and the reading options the URL's query gives. */
export interface RedisStreamAddress {
  /** The URL with its password replaced by '***': what messages show. */
  display: string;
  connection: RedisConnectionOptions;
  /** The stream's key. */
  stream: string;
  group?: string;
  consumer?: string;
  /** Entries asked for per XREADGROUP. */
  count?: number;
  /** Seconds after which a member without a heartbeat, whose entries have waited that long, counts as dead. */
  claimAfter?: number;
}

/** The query parameters a Redis stream URL may carry. */
export const redisQueryParameters = ['stream', 'group', 'consumer', 'count', 'claim-after'] as const;

/** Whether a training input names a Redis stream (redis:// or rediss://) rather than a path. */
export function isRedisUrl(input: unknown): input is string {
  return typeof input === 'string' && /^rediss?:\/\//i.test(input);
}

/**
 * Refuses a string that is a URL of another scheme (http://, redis+tls://): as a path it would
 * only give "no such file". Single-letter schemes are left alone (a Windows drive, c://).
 */
export function refuseOtherUrl(input: string): void {
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(input);
  if (scheme && !isRedisUrl(input)) {
    throw new RedisUrlError(`${redactRedisUrl(input)}: unsupported URL scheme '${scheme[1]}:': an input is a path, '-', or a Redis stream ` +
      '(redis://HOST:PORT?stream=KEY, rediss:// for TLS)');
  }
}

/** The URL with any password replaced by '***'. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]+:\/\/)([^@/?#]*)@/i, (_, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${auth.slice(0, colon)}:***`}@`;
  });
}

/** An error in a Redis URL, or in reaching the server it names. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

function positiveNumber(display: string, name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new RedisUrlError(`${display}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The query's options, each checked; an unknown or repeated parameter is an error. */
function queryOptions(display: string, url: URL): Omit<RedisStreamAddress, 'display' | 'connection'> {
  const seen = new Set<string>();
  for (const name of url.searchParams.keys()) {
    if (!(redisQueryParameters as readonly string[]).includes(name)) {
      throw new RedisUrlError(`${display}: unknown query parameter '${name}'; known: ${redisQueryParameters.join(', ')}`);
    }
    if (seen.has(name)) throw new RedisUrlError(`${display}: query parameter '${name}' is given twice`);
    seen.add(name);
  }
  const stream = url.searchParams.get('stream');
  if (!stream) throw new RedisUrlError(`${display}: no stream key: add ?stream=KEY (the stream's key, e.g. redis://localhost:6379?stream=events)`);
  const text = (name: string) => {
    const value = url.searchParams.get(name);
    if (value === '') throw new RedisUrlError(`${display}: ${name} is empty`);
    return value ?? undefined;
  };
  const count = url.searchParams.get('count');
  const claimAfter = url.searchParams.get('claim-after');
  return {
    stream, group: text('group'), consumer: text('consumer'),
    count: count === null ? undefined : positiveNumber(display, 'count', count, true),
    claimAfter: claimAfter === null ? undefined : positiveNumber(display, 'claim-after (seconds)', claimAfter, false),
  };
}

/**
 * The server part of a Redis URL — redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB] — checked, with the
 * URL as messages show it and its query (for the caller to read). Errors (RedisUrlError, naming the
 * URL and what `expected` says a URL looks like — short, in full, and what a path is for): another
 * scheme, no host, a database that is not a number, a #fragment.
 */
export function parseRedisServerUrl(url: string, expected: { short: string; full: string; path: string }):
  { display: string; connection: RedisConnectionOptions; parsed: URL } {
  const display = redactRedisUrl(url);
  if (!isRedisUrl(url)) throw new RedisUrlError(`${display}: not a Redis URL: expected ${expected.short} (or rediss:// for TLS)`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(`${display}: not a valid URL (expected ${expected.full})`);
  }
  if (!parsed.hostname) throw new RedisUrlError(`${display}: no host (expected ${expected.short})`);
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new RedisUrlError(`${display}: the path must be a database number (/0, /1, ...), got '/${path}'${expected.path}`);
  }
  if (parsed.hash) throw new RedisUrlError(`${display}: a Redis URL has no #fragment`);
  const connection: RedisConnectionOptions = {
    // IPv6 hosts come bracketed from URL; sockets take them bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: path === '' ? 0 : Number(path),
    tls: parsed.protocol.toLowerCase() === 'rediss:',
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
  return { display, connection, parsed };
}

/**
 * Parses a Redis stream URL. Errors (RedisUrlError, naming the URL): another scheme, no host, a
 * port or database that is not a number, no `stream=`, an unknown or empty query parameter.
 */
export function parseRedisStreamUrl(url: string): RedisStreamAddress {
  const { display, connection, parsed } = parseRedisServerUrl(url, {
    short: 'redis://HOST:PORT?stream=KEY', full: 'redis://[USER:PASSWORD@]HOST[:PORT][/DB]?stream=KEY', path: "; the stream's key goes in ?stream=KEY",
  });
  return { display, connection, ...queryOptions(display, parsed) };
}
