// npm run bench -- deepar-step: the speed of DeepAR's network training step, the issue's
// reference shape (2 layers × 40 cells, windows of 42 steps, batches of 32, 12 inputs a
// step, gaussian likelihood, adam), in steps per second on one thread and on every core.
// Ours alone: the peer in the measurement (tfjs's wasm backend, ~3 steps/s) is not
// rerun here.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCoreAddon, Random } from '../lib/index.js';

const here = fileURLToPath(import.meta.url);

const shape = { features: 12, cells: 40, layers: 2, likelihood: 0, zoneout: 0.1, seed: 1 };
const adam = { kind: 1, learningRate: 0.001, beta1: 0.9, beta2: 0.999, rho: 0, epsilon: 1e-8, weightDecay: 0, clipGradient: 10, rescaleGradient: 1 };
const parameterCount = () => loadCoreAddon().deeparNetworkLayout({ ...shape, optimizer: adam }).parameters;

/** Steps per second of this process (its thread budget), median of 5 timed runs of 50 steps after 10 warm-up steps. */
async function measure(): Promise<number> {
  const addon = loadCoreAddon();
  const settings = { ...shape, optimizer: adam };
  const P = addon.deeparNetworkLayout(settings).parameters;
  const random = Random.fromSeed(1);
  const state = { parameters: Float32Array.from({ length: P }, () => random.nextGaussian() * 0.1), moment1: new Float32Array(P), moment2: new Float32Array(P), counters: new Float64Array(2) };
  const T = 42, B = 32;
  const window = {
    steps: T, rows: B, inputs: Float32Array.from({ length: T * B * 12 }, () => random.nextGaussian()),
    targets: Float32Array.from({ length: T * B }, () => random.nextGaussian()), weights: new Float32Array(T * B).fill(1),
  };
  for (let i = 0; i < 10; i++) await addon.deeparNetworkStep(settings, state, window);
  const rates: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) await addon.deeparNetworkStep(settings, state, window);
    rates.push(50 / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return rates.sort((a, b) => a - b)[2];
}

export async function runDeeparStep(): Promise<{ rows: { threads: string; stepsPerSecond: number }[]; notes: string[] }> {
  const rows = [];
  for (const threads of ['1', 'all']) {
    const env = { ...process.env, ...(threads === '1' ? { BOUNDLESS_NUM_THREADS: '1' } : {}) };
    const child = spawnSync(process.execPath, ['--import', 'tsx', here, '--child'], { env, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`deepar-step child failed: ${child.stderr}`);
    rows.push({ threads: threads === '1' ? '1 thread' : 'every core', stepsPerSecond: Number(child.stdout.trim()) });
  }
  return {
    rows,
    notes: [
      `One step: forward through 2 LSTM layers of 40 cells over 42 steps for 32 windows (12 inputs a step), the gaussian likelihood of every step, back through time, and an adam step over all ${parameterCount().toLocaleString('en-US')} parameters; zoneout 0.1. Median of 5 runs of 50 steps, after 10 warm-up steps, each in a process of its own.`,
      'The issue\'s goal is ≥ 30 steps/s on one core; its measurement of tfjs\'s wasm backend (~3 steps/s) is not rerun here.',
    ],
  };
}

export function deeparStepTable(rows: { threads: string; stepsPerSecond: number }[]): string {
  return ['| threads | steps/s |', '|---|---:|', ...rows.map((r) => `| ${r.threads} | ${r.stepsPerSecond.toFixed(1)} |`)].join('\n');
}

if (process.argv.includes('--child')) process.stdout.write(`${await measure()}\n`);
