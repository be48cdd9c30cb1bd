// ioredis, loaded when a Redis connection is first opened: importing it costs about a quarter of a
// second, which every `boundless` command paid at start-up, Redis or not.
import type { Cluster, Redis } from 'ioredis';

interface IoRedis {
  Redis: typeof Redis;
  Cluster: typeof Cluster;
}

let loaded: Promise<IoRedis> | undefined;

export function loadIoRedis(): Promise<IoRedis> {
  loaded ??= import('ioredis').then((module) => ({ Redis: module.Redis, Cluster: module.Cluster }));
  return loaded;
}
