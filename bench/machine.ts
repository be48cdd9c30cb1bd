// What machine a benchmark ran on, stated next to every number.
import { cpus, totalmem } from 'node:os';

export function describeMachine(): Record<string, unknown> {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString().slice(0, 10),
  };
}
