// Members of a consumer group that died, and their pending entries handed to
// the living. A member is alive while its heartbeat key exists (set every
// claim-after / 4, expiring after claim-after); one without it whose
// consumer has been idle for claim-after is dead.
//
// A dead member's pending entries are requeued: in one Lua script (atomic,
// one key, so it runs on Redis Cluster too), each is claimed (XCLAIM, which
// also guards against another member claiming it at the same moment), copied
// to the stream's tail with a `requeued-from` field, and acknowledged. The
// copies reach whichever member reads next, through XREADGROUP >, like any
// new entry. XAUTOCLAIM is not used: it takes every entry idle past the
// bound, whoever holds it, including those of a live member that has not
// stored a state for that long; and requeueing, unlike claiming into the
// claimer's own pending list, keeps each member's deliveries in id order,
// which is what lets acknowledgement go by one id (see redis-stream.ts).
import { hostname } from 'node:os';
import type { RedisLink, Reply } from './redis-connection.js';
import { endField, requeuedField } from './stream-entries.js';

/** The key whose existence says that `consumer` of `group` on `stream` is alive. */
export function heartbeatKey(stream: string, group: string, consumer: string): string {
  return `boundless:alive:${JSON.stringify([stream, group, consumer])}`;
}

/** Sets a member's heartbeat key now and every `ttlMs / 4`, each time expiring after `ttlMs`; stop() deletes it. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly value = `${hostname()}:${process.pid}`;

  constructor(private readonly link: RedisLink, private readonly key: string, private readonly ttlMs: number) {}

  async start(): Promise<void> {
    await this.beat();
    // A missed beat (a reconnecting server) is retried at the next; only a lapse of ttlMs matters.
    this.timer = setInterval(() => { this.beat().catch(() => undefined); }, Math.max(10, Math.floor(this.ttlMs / 4)));
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.link.call('SET', this.key, this.value, 'PX', Math.max(1, Math.round(this.ttlMs)));
  }

  /** Stops beating and deletes the key: what this member still holds may be requeued after claim-after. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.link.call('DEL', this.key).catch(() => undefined);
  }
}

/**
 * Consumers of the group, other than `self`, that hold pending entries and have no heartbeat:
 * `dead` ones have been idle for `claimAfterMs` (their entries may be requeued), `dying` ones
 * not yet (a member that stopped beating moments ago).
 */
export async function silentMembers(link: RedisLink, stream: string, group: string, self: string, claimAfterMs: number):
  Promise<{ dead: string[]; dying: string[] }> {
  const consumers = await link.call('XINFO', 'CONSUMERS', stream, group) as Reply[][];
  const found = { dead: [] as string[], dying: [] as string[] };
  for (const fields of consumers) {
    const info: Record<string, Reply> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) info[String(fields[i])] = fields[i + 1];
    const name = String(info.name);
    if (name === self || Number(info.pending) === 0) continue;
    if (Number(await link.call('EXISTS', heartbeatKey(stream, group, name))) !== 0) continue;
    (Number(info.idle) >= claimAfterMs ? found.dead : found.dying).push(name);
  }
  return found;
}

const requeueScript = `
local stream = KEYS[1]
local group, claimer, idle, count, cursor = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local dead = {}
for i = 6, #ARGV do dead[ARGV[i]] = true end
local page = redis.call('XPENDING', stream, group, 'IDLE', idle, cursor, '+', count)
local last = ''
local ids = {}
for _, p in ipairs(page) do
  last = p[1]
  if dead[p[2]] then ids[#ids + 1] = p[1] end
end
if #ids == 0 then return {0, #page, last} end
local endAtTail = false
local tail = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
if tail[1] then
  local f = tail[1][2]
  for i = 1, #f, 2 do if f[i] == '${endField}' then endAtTail = true end end
end
local claimed = redis.call('XCLAIM', stream, group, claimer, idle, unpack(ids))
local found = {}
for _, entry in ipairs(claimed) do
  local fields = {}
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] ~= '${requeuedField}' then
      fields[#fields + 1] = f[i]
      fields[#fields + 1] = f[i + 1]
    end
  end
  fields[#fields + 1] = '${requeuedField}'
  fields[#fields + 1] = entry[1]
  redis.call('XADD', stream, '*', unpack(fields))
  redis.call('XACK', stream, group, entry[1])
  found[entry[1]] = true
end
if endAtTail and #claimed > 0 then redis.call('XADD', stream, '*', '${endField}', '1') end
local result = {#claimed, #page, last}
for _, id in ipairs(ids) do
  if not found[id] and #redis.call('XPENDING', stream, group, id, id, 1) == 0 then result[#result + 1] = id end
end
return result
`;

/** One page of a requeue sweep. */
export interface RequeuePage {
  /** Entries copied to the tail. */
  requeued: number;
  /** Ids that were pending on a dead member but deleted from the stream (trimmed): their records are lost. */
  deleted: string[];
  /** Where the next page starts (exclusive), or null when the group's pending list has been swept. */
  next: string | null;
}

/**
 * Requeues one page (`count` entries of the group's pending list from `cursor`, idle at least
 * `claimAfterMs`) of the entries pending on `dead` members. When the stream ended with an
 * end-of-stream entry, another is added after the copies, so the stream still ends last.
 */
export async function requeuePage(link: RedisLink, stream: string, group: string, claimer: string, claimAfterMs: number,
  dead: string[], cursor: string, count: number): Promise<RequeuePage> {
  const reply = await link.call('EVAL', requeueScript, 1, stream, group, claimer, Math.round(claimAfterMs), count, cursor, ...dead) as Reply[];
  const [requeued, examined, last] = reply;
  return {
    requeued: Number(requeued),
    deleted: reply.slice(3).map(String),
    next: Number(examined) < count || last === '' ? null : `(${String(last)}`,
  };
}
