// The Lua scripts of a cluster job: each is one atomic step on the job's keys
// (which share a hash tag, so they run on one Redis Cluster node). Times come
// from the server's clock (TIME), never a member's: members on different
// machines disagree about the time, the server does not disagree with itself.
//
// Each script must be safe to run twice. When Redis restarts between running a
// command and sending its reply, ioredis sends the command again once it has
// reconnected (autoResendUnfulfilledCommands), and other members' commands may
// run in between: a second run must answer what the first did, or refuse,
// never apply its change again.

/** Creates the job (spec and meta) unless it exists; returns the existing spec, or nil when this call created it. */
export const createJob = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
local t = redis.call('TIME')
local now = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'status', 'training', 'epoch', '0', 'round', '0', 'records', '0', 'batches', '0',
  'stateChunks', '0', 'stateBytes', '0', 'createdAt', now, 'updatedAt', now)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return false`;

/**
 * Stamps a member's entry with the server's time: '{"lastSeen":MS,' .. the rest of ARGV[2]; renews
 * its lease KEYS[2] if ARGV[5] is '1' and it holds it (1; else 0). -1, and nothing written, when the job is gone
 * (meta KEYS[3] deleted or expired): a heartbeat must not bring back a deleted job's keys.
 */
export const heartbeat = `
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('HSET', KEYS[1], ARGV[1], '{"lastSeen":' .. now .. ',' .. string.sub(ARGV[2], 2))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[5] == '1' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return 1
end
return 0`;

/**
 * Claims shard ARGV[3] of epoch ARGV[4] for member ARGV[1] for ARGV[2] ms. Returns {'leased'}
 * (another member reads it), {'done'} (read to its end, merged or about to be), or
 * {'claimed', raw, stale...} where raw is the JSON holding the position to continue from: a
 * pending upload of the shard (its member died after uploading; the upload will be merged, so
 * reading continues after it), else the shard's merged position, else '' (its start). With
 * ARGV[5] = '1' (SGD algorithms, whose uploads merge only onto the round they were rebased on),
 * a pending upload of the shard on an older round can never be merged: its member is gone (the
 * lease was free), so it is removed and returned after raw (its chunks are the caller's to delete).
 * A lease the member holds already is its own claim sent again (the reply was lost): claimed again.
 */
export const claimShard = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {'leased'} end
local source = ''
local entry = redis.call('HGET', KEYS[2], ARGV[3])
if entry then
  if cjson.decode(entry).done then return {'done'} end
  source = entry
end
local round = redis.call('HGET', KEYS[4], 'round')
local stale = {}
local newest = -1
for _, raw in ipairs(redis.call('HVALS', KEYS[3])) do
  local u = cjson.decode(raw)
  if tostring(u.epoch) == ARGV[4] and tostring(u.shard) == ARGV[3] then
    if ARGV[5] == '1' and tostring(u.baseRound) ~= round then
      redis.call('HDEL', KEYS[3], u.member)
      table.insert(stale, raw)
    else
      if u.done then return {'done'} end
      if u.sequence > newest then newest = u.sequence; source = raw end
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local reply = {'claimed', source}
for _, raw in ipairs(stale) do table.insert(reply, raw) end
return reply`;

/** Deletes the lease KEYS[1] if member ARGV[1] holds it. */
export const releaseLease = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Stores member ARGV[1]'s upload ARGV[5] (ARGV[2], JSON; its state's chunks are already written) if
 * it still holds its shard's lease KEYS[1]; stamps it with the server's time. 1: stored; 0: the
 * lease was lost (the member was presumed dead and its shard taken over), nothing stored.
 * The same upload sent again (its reply lost) is not stored again: 1 while it is still pending in
 * KEYS[2]; 2 when a round merged it already (KEYS[3] notes the member's merged sequence) — stored
 * again, it would be merged a second time, its records counted twice.
 */
export const storeUpload = `
local pending = redis.call('HGET', KEYS[2], ARGV[1])
if pending and cjson.decode(pending).sequence == tonumber(ARGV[5]) then return 1 end
local merged = redis.call('HGET', KEYS[3], ARGV[1])
if merged and tonumber(merged) >= tonumber(ARGV[5]) then return 2 end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('HSET', KEYS[2], ARGV[1], '{"at":' .. now .. ',' .. string.sub(ARGV[2], 2))
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** What a round closer looks at, in one snapshot: {server ms, meta, uploads, members} (hashes as flat lists). */
export const roundView = `
local t = redis.call('TIME')
return {tostring(t[1] * 1000 + math.floor(t[2] / 1000)), redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3])}`;

/**
 * Takes the round closer's claim KEYS[1] for ARGV[1] (ARGV[2] ms) unless another member holds it.
 * A claim ARGV[1] holds already is its own take sent again (the reply was lost): 1, renewed.
 */
export const takeCloseLock = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`;

/**
 * Commits a round if the stored round is still ARGV[2] (what makes one of two closers win; the
 * claim KEYS[4] of closer ARGV[1] only spares duplicate work, and may have expired): writes the merge's ARGV[7] chunks (KEYS[6..]), deletes the keys after them (the
 * previous merge's chunks, the merged uploads' chunks), updates meta KEYS[1] (ARGV[4]: flat
 * field/value JSON list), the shards' positions KEYS[3] (ARGV[5]: [[shard, json], ...]), removes
 * the merged uploads from KEYS[2] (ARGV[6]: [[member, sequence], ...], each only if still that
 * upload), notes each member's merged sequence in KEYS[5], and pushes a token onto the last
 * ARGV[8 + n] keys (the merged members' notify lists). Returns 1, or 0 (nothing changed). A
 * commit sent again (its reply lost) finds the round moved and changes nothing: 0, though the first
 * run committed — its closer then only skips remembering the merge it made.
 */
export const commitRound = `
if redis.call('HGET', KEYS[1], 'round') ~= ARGV[2] then return 0 end
local n = tonumber(ARGV[7])
for i = 1, n do redis.call('SET', KEYS[5 + i], ARGV[7 + i], 'PX', ARGV[3]) end
for i = 6 + n, #KEYS - tonumber(ARGV[8 + n]) do redis.call('DEL', KEYS[i]) end
local meta = cjson.decode(ARGV[4])
for i = 1, #meta, 2 do redis.call('HSET', KEYS[1], meta[i], meta[i + 1]) end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'updatedAt', tostring(t[1] * 1000 + math.floor(t[2] / 1000)))
for _, s in ipairs(cjson.decode(ARGV[5])) do redis.call('HSET', KEYS[3], s[1], s[2]) end
local notify = tonumber(ARGV[8 + n])
for i, u in ipairs(cjson.decode(ARGV[6])) do
  local raw = redis.call('HGET', KEYS[2], u[1])
  if raw and cjson.decode(raw).sequence == u[2] then redis.call('HDEL', KEYS[2], u[1]) end
  redis.call('HSET', KEYS[5], u[1], tostring(u[2]))
end
for i = #KEYS - notify + 1, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[2])
  redis.call('PEXPIRE', KEYS[i], 60000)
end
for i = 1, 5 do if i ~= 4 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end end
return 1`;

/**
 * Stores the final model (ARGV[2] chunks) and state (ARGV[3] chunks) unless the job is finished
 * already; KEYS[1] is meta, then the chunk keys; ARGV[4] the final metrics (JSON). 1: stored; 0: not.
 */
export const publishFinal = `
if redis.call('HGET', KEYS[1], 'status') == 'finished' then return 0 end
local m = tonumber(ARGV[2])
local s = tonumber(ARGV[3])
for i = 1, m + s do redis.call('SET', KEYS[1 + i], ARGV[4 + i], 'PX', ARGV[1]) end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'status', 'finished', 'finalModelChunks', tostring(m), 'finalStateChunks', tostring(s),
  'metrics', ARGV[4], 'finishedAt', tostring(t[1] * 1000 + math.floor(t[2] / 1000)))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** Marks the job (meta KEYS[1]) failed with member ARGV[1]'s error ARGV[2], unless it is finished or failed already. 1: marked. */
export const failJob = `
if redis.call('HGET', KEYS[1], 'status') ~= 'training' then return 0 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[2], 'failedBy', ARGV[1],
  'failedAt', tostring(t[1] * 1000 + math.floor(t[2] / 1000)))
return 1`;

/** Releases the closer's claim KEYS[1] if ARGV[1] holds it. */
export const releaseCloseLock = releaseLease;
