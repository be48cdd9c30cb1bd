// The consumer-group commands a stream reader needs, one function each:
// create the group, read new entries (XREADGROUP >) or the consumer's own
// pending ones (its history), acknowledge a consumer's pending entries up to
// an id (XPENDING ranges + XACK, a page at a time: no list that grows with
// the data), and tell whether the group has been delivered an end-of-stream
// entry at the stream's tail.
import type { RedisLink, Reply } from './redis-connection.js';
import { endField } from './stream-entries.js';

/** An entry as XREADGROUP returns it through callBuffer: id and fields, or null fields for a deleted one. */
export type RawEntry = [Buffer, Buffer[] | null];

/** Pending entries acknowledged per XPENDING page. */
const ackPage = 1000;

/** Orders stream ids ('ms-seq'): negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  if (am !== bm) return am.length !== bm.length ? am.length - bm.length : am < bm ? -1 : 1;
  if (as === bs) return 0;
  return as.length !== bs.length ? as.length - bs.length : as < bs ? -1 : 1;
}

/**
 * Creates the group at the stream's start (id 0: entries written before the first member
 * arrived are read too), and the stream if it does not exist yet, so members may start before
 * the producer. An existing group is kept as it is.
 */
export async function ensureGroup(link: RedisLink, stream: string, group: string): Promise<void> {
  try {
    await link.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!/BUSYGROUP/.test((error as Error).message)) throw error;
  }
}

function entriesOf(reply: Reply): RawEntry[] {
  if (reply === null) return [];
  const streams = reply as [Buffer, RawEntry[]][];
  return streams.length === 0 ? [] : streams[0][1];
}

/** New entries for `consumer` (XREADGROUP ... >), waiting up to `blockMs` for the first. */
export async function readNew(link: RedisLink, stream: string, group: string, consumer: string, count: number,
  blockMs: number): Promise<RawEntry[]> {
  return entriesOf(await link.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>'));
}

/** Entries delivered to `consumer` and not acknowledged, with ids after `after` (its history), in id order. */
export async function readPending(link: RedisLink, stream: string, group: string, consumer: string, after: string,
  count: number): Promise<RawEntry[]> {
  return entriesOf(await link.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, after));
}

/**
 * Acknowledges every entry pending on `consumer` with an id in (after, through]. Only ids
 * XPENDING lists for this consumer are acknowledged: an entry another member took over is
 * left to it. Returns how many were acknowledged.
 */
export async function acknowledgeThrough(link: RedisLink, stream: string, group: string, consumer: string, after: string,
  through: string): Promise<number> {
  let acknowledged = 0;
  let start = after;
  while (compareIds(start, through) < 0) {
    const page = await link.call('XPENDING', stream, group, `(${start}`, through, ackPage, consumer) as [string, string, number, number][];
    if (page.length === 0) break;
    const ids = page.map((entry) => entry[0]);
    acknowledged += Number(await link.call('XACK', stream, group, ...ids));
    if (page.length < ackPage) break;
    start = ids[ids.length - 1];
  }
  return acknowledged;
}

/** XINFO GROUPS' fields for one group, or undefined when the group does not exist. */
export async function groupInfo(link: RedisLink, stream: string, group: string): Promise<Record<string, Reply> | undefined> {
  let groups: Reply[][];
  try {
    groups = await link.call('XINFO', 'GROUPS', stream) as Reply[][];
  } catch (error) {
    if (/no such key/i.test((error as Error).message)) return undefined;
    throw error;
  }
  for (const fields of groups) {
    const info: Record<string, Reply> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) info[String(fields[i])] = fields[i + 1];
    if (info.name === group) return info;
  }
  return undefined;
}

/**
 * Whether the stream has ended for the group: its last entry is an end-of-stream entry and the
 * group has been delivered it (to any member). The member that got it stops by itself; the
 * others learn it here when their reads come back empty.
 */
export async function groupReachedEnd(link: RedisLink, stream: string, group: string): Promise<boolean> {
  const tail = await link.call('XREVRANGE', stream, '+', '-', 'COUNT', 1) as [string, string[]][];
  if (tail.length === 0) return false;
  const [id, fields] = tail[0];
  if (!fields.some((field, i) => i % 2 === 0 && field === endField)) return false;
  const info = await groupInfo(link, stream, group);
  return info !== undefined && compareIds(String(info['last-delivered-id']), id) >= 0;
}
