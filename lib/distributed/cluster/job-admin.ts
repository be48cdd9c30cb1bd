// Managing cluster jobs from anywhere: a job's status (one JSON object), the
// jobs under a prefix, deleting a job's keys, and fetching a finished job's
// model and state. Read-only except delete.
import { decodeStoredObject } from '../../state/checkpoint.js';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { join } from 'node:path';
import { connectRedis, scanTargets, type RedisClient } from './connection.js';
import { JobKeys } from './job-keys.js';
import type { JobSpec } from './job-spec.js';
import { JobStore, type MemberInfo } from './job-store.js';
import { clusterDefaults } from './train.js';
import { makeDirectory } from '../../io/make-directory.js';

export interface AdminOptions {
  url: string;
  prefix?: string;
}

async function withClient<T>(url: string, use: (client: RedisClient) => Promise<T>): Promise<T> {
  const { client } = await connectRedis(url, { reconnectSeconds: 5 });
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function storeOf(client: RedisClient, prefix: string | undefined, job: string): JobStore {
  return new JobStore(client, prefix ?? clusterDefaults.prefix, job, clusterDefaults.ttlSeconds);
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * One job's status: top-level `records` (in the latest merged state, or the final one), `state`
 * ('training' or 'finished'), epoch, round, live members and records/s; `memberDetails` per member.
 * Errors: no such job.
 */
export async function jobStatus(options: AdminOptions, job: string): Promise<Record<string, unknown>> {
  return withClient(options.url, async (client) => {
    const store = storeOf(client, options.prefix, job);
    const [specJson, view] = await Promise.all([store.spec(), store.roundView()]);
    if (!specJson || !view.meta) throw new Error(`job status: no job ${JSON.stringify(job)} under prefix ${JSON.stringify(store.keys.prefix)} at ${options.url}`);
    const spec = JSON.parse(specJson) as JobSpec;
    const meta = view.meta;
    const entries = await store.shards(meta.epoch);
    const live = (m: MemberInfo) => m.status !== 'left' && view.now - m.lastSeen < spec.lease * 1000;
    const seconds = Math.max(1e-3, ((meta.finishedAt ?? meta.updatedAt) - meta.createdAt) / 1000);
    return {
      job, state: meta.status, algorithm: spec.algorithm, records: meta.records, epoch: meta.epoch, epochs: spec.epochs, round: meta.round,
      members: [...view.members.values()].filter(live).length,
      recordsPerSecond: Math.round(meta.records / seconds),
      shards: { count: spec.shards, done: meta.status === 'finished' ? spec.shards : [...entries.values()].filter((e) => e.done).length },
      pendingUploads: view.uploads.length, stateBytes: meta.stateBytes,
      ...(meta.status === 'failed' ? { error: meta.error, failedBy: meta.failedBy } : {}),
      createdAt: iso(meta.createdAt), updatedAt: iso(meta.updatedAt), finishedAt: iso(meta.finishedAt),
      memberDetails: Object.fromEntries([...view.members].map(([id, m]) => [id, {
        host: m.host, pid: m.pid, status: live(m) ? m.status : m.status === 'left' ? 'left' : 'lost', records: m.records, shard: m.shard,
        lastSeen: iso(m.lastSeen),
      }])),
    };
  });
}

/** The jobs under the prefix: name, state, algorithm, records, updatedAt. */
export async function listJobs(options: AdminOptions): Promise<Record<string, unknown>[]> {
  return withClient(options.url, async (client) => {
    const prefix = options.prefix ?? clusterDefaults.prefix;
    new JobKeys(prefix, 'x');  // validates the prefix
    const names = new Set<string>();
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}{*}:spec`;
    for (const node of scanTargets(client)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) names.add(key.slice(prefix.length + 1, -'}:spec'.length));
      } while (cursor !== '0');
    }
    const jobs: Record<string, unknown>[] = [];
    for (const name of [...names].sort()) {
      const store = storeOf(client, prefix, name);
      const [spec, meta] = await Promise.all([store.spec(), store.meta()]);
      if (!spec || !meta) continue;
      jobs.push({ job: name, state: meta.status, algorithm: (JSON.parse(spec) as JobSpec).algorithm, records: meta.records, updatedAt: iso(meta.updatedAt) });
    }
    return jobs;
  });
}

/** Deletes every key of the job; returns how many. Errors: no such job. */
export async function deleteJob(options: AdminOptions, job: string): Promise<{ job: string; deletedKeys: number }> {
  return withClient(options.url, async (client) => {
    const keys = storeOf(client, options.prefix, job).keys;
    let deleted = 0;
    for (const node of scanTargets(client)) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', keys.pattern, 'COUNT', 1000);
        cursor = next;
        // One job's keys share a slot: one DEL may take them all.
        if (found.length > 0) deleted += await client.del(...found);
      } while (cursor !== '0');
    }
    if (deleted === 0) throw new Error(`job delete: no job ${JSON.stringify(job)} under prefix ${JSON.stringify(keys.prefix)} at ${options.url}`);
    return { job, deletedKeys: deleted };
  });
}

/**
 * Writes a finished job's model.safetensors and state.safetensors into `modelDir`. Errors: no such
 * job, or a job still training (its status says how far it is).
 */
export async function fetchJob(options: AdminOptions, job: string, modelDir: string): Promise<Record<string, unknown>> {
  return withClient(options.url, async (client) => {
    const store = storeOf(client, options.prefix, job);
    const meta = await store.meta();
    if (!meta) throw new Error(`job fetch: no job ${JSON.stringify(job)} under prefix ${JSON.stringify(store.keys.prefix)} at ${options.url}`);
    if (meta.status === 'failed') throw new Error(`job fetch: job ${job} failed, so it has no model: ${meta.error} (member ${meta.failedBy})`);
    if (meta.status !== 'finished') {
      throw new Error(`job fetch: job ${job} is still training (epoch ${meta.epoch}, round ${meta.round}, ${meta.records} records): fetch it when it is finished`);
    }
    const bytes = await store.finalBytes(meta);
    // Checked as a file is when read (header, checksum): a corrupt stored model is an error here, not when used.
    decodeStoredObject(bytes.model, { kind: 'model' }, `job ${job}: the final model`);
    decodeStoredObject(bytes.state, { kind: 'state' }, `job ${job}: the final state`);
    await makeDirectory(modelDir);
    const model = join(modelDir, 'model.safetensors');
    const state = join(modelDir, 'state.safetensors');
    await writeFileAtomic(model, [bytes.model]);
    await writeFileAtomic(state, [bytes.state]);
    return { job, model, state, records: meta.records, metrics: meta.metrics ?? {} };
  });
}
