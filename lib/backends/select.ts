// Which backend runs: listBackends() reports each with the reason it is or
// is not usable; resolveBackend() honours an explicit choice, then
// BOUNDLESS_BACKEND, then picks the highest-priority preferred backend.
import { cpuBackend } from './cpu.js';
import { strictBackend } from './run-kernel.js';
import { cudaBackend, cudaDeviceIndex } from './cuda.js';
import { webgpuBackend } from './webgpu.js';
import {
  backendNames, registerBackend, registeredBackends,
  type Backend, type BackendAvailability, type BackendName,
} from './registry.js';

for (const definition of [cpuBackend, cudaBackend, webgpuBackend]) registerBackend(definition);

export type BackendChoice = BackendName | 'auto';

export interface BackendReport extends BackendAvailability {
  name: BackendName;
  priority: number;
}

const probes = new Map<BackendName, Promise<BackendAvailability>>();

function probe(name: BackendName): Promise<BackendAvailability> {
  let result = probes.get(name);
  if (!result) {
    const definition = registeredBackends().find((d) => d.name === name);
    if (!definition) throw new Error(`unknown backend '${name}'`);
    result = definition.probe();
    probes.set(name, result);
  }
  return result;
}

/** Every registered backend, highest priority first, with whether and why it is usable here. */
export async function listBackends(): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  for (const definition of registeredBackends()) {
    reports.push({ name: definition.name, priority: definition.priority, ...(await probe(definition.name)) });
  }
  return reports;
}

function parseChoice(value: string, source: string): BackendChoice {
  if (value === 'auto' || (backendNames as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: '${value}' is not a backend; expected one of auto, ${backendNames.join(', ')}`);
}

/** The choice in force: the argument when given, else BOUNDLESS_BACKEND, else auto. */
export function requestedBackend(choice?: string): { choice: BackendChoice; source: string } {
  if (choice !== undefined) return { choice: parseChoice(choice, 'backend option'), source: `backend '${choice}'` };
  const fromEnv = process.env.BOUNDLESS_BACKEND;
  if (fromEnv) return { choice: parseChoice(fromEnv, 'BOUNDLESS_BACKEND'), source: `BOUNDLESS_BACKEND=${fromEnv}` };
  return { choice: 'auto', source: 'auto' };
}

/** Creates the backend to run on. A forced backend that is unavailable is an error, never a fallback. */
export async function resolveBackend(choice?: string): Promise<Backend> {
  strictBackend();  // a bad BOUNDLESS_STRICT_BACKEND or BOUNDLESS_CUDA_DEVICE is an error before any work
  cudaDeviceIndex();
  const requested = requestedBackend(choice);
  if (requested.choice !== 'auto') {
    const name = requested.choice;
    const availability = await probe(name);
    if (!availability.available) {
      throw new Error(`${requested.source} was requested but backend '${name}' is unavailable: ${availability.reason}`);
    }
    return createBackend(name);
  }
  for (const definition of registeredBackends()) {
    if (definition.autoSkipReason?.()) continue;
    const availability = await probe(definition.name);
    if (availability.available && availability.preferred) return definition.create();
  }
  const reports = await listBackends();
  throw new Error('no backend is available:\n' + reports.map((r) => `  ${r.name}: ${r.reason}`).join('\n'));
}

/**
 * Creates the named backend without consulting BOUNDLESS_BACKEND (tests compare backends this
 * way); an unavailable backend is an error with the reason.
 */
export async function createBackend(name: BackendName): Promise<Backend> {
  const definition = registeredBackends().find((d) => d.name === name);
  if (!definition) throw new Error(`unknown backend '${name}'; expected one of ${backendNames.join(', ')}`);
  const availability = await probe(name);
  if (!availability.available) throw new Error(`backend '${name}' is unavailable: ${availability.reason}`);
  return definition.create();
}
