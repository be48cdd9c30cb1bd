// Two registries, in the manner of tfjs: backends by name (with a priority
// and an availability probe) and kernel implementations by (backend, kernel).
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';
import type { KernelCounters } from './kernel-counters.js';
import type { DeviceTrafficCounts } from './device-traffic-counts.js';

export type BackendName = 'cpu' | 'cuda' | 'webgpu';
export const backendNames: readonly BackendName[] = ['cpu', 'cuda', 'webgpu'];

export interface BackendAvailability {
  available: boolean;
  /** Why the backend is or is not usable here, in one line. */
  reason: string;
  /** Device, ISA, thread count, library paths: whatever helps a bug report. */
  details: Record<string, unknown>;
  /**
   * False when the backend works but `auto` should not pick it (WebGPU on a software
   * rasterizer is for correctness checks, not speed).
   */
  preferred: boolean;
}

/** A live backend: a device or addon ready to run kernels. */
export interface Backend {
  readonly name: BackendName;
  readonly details: Record<string, unknown>;
  /** Kernel calls made through this backend and how many fell back to cpu (run-kernel.ts counts them). */
  readonly counters: KernelCounters;
  /** A GPU backend's traffic with its device (device-traffic.ts): bytes each way, submissions, read-backs. */
  readonly traffic?: { snapshot(since?: DeviceTrafficCounts): DeviceTrafficCounts };
  run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]>;
  /** Releases devices and native handles so the process can exit. */
  dispose(): Promise<void>;
}

export interface BackendDefinition {
  name: BackendName;
  /** Higher wins under `auto`. */
  priority: number;
  /** Never throws: an unavailable backend says why. */
  probe(): Promise<BackendAvailability>;
  /** Only called after probe() reported available. */
  create(): Promise<Backend>;
  /**
   * A cheap reason `auto` need not probe this backend at all (no device nodes, say), so that
   * choosing a backend does not start a GPU runtime that could not be picked anyway.
   */
  autoSkipReason?(): string | undefined;
}

export type KernelFunction<K extends KernelName, B extends Backend = Backend> =
  (backend: B, inputs: KernelInputs[K]) => Promise<KernelOutputs[K]>;

const backendRegistry = new Map<BackendName, BackendDefinition>();
const kernelRegistry = new Map<string, KernelFunction<KernelName, Backend>>();

const kernelKey = (backend: BackendName, kernel: KernelName): string => `${backend}/${kernel}`;

export function registerBackend(definition: BackendDefinition): void {
  if (backendRegistry.has(definition.name)) {
    throw new Error(`backend '${definition.name}' is already registered`);
  }
  backendRegistry.set(definition.name, definition);
}

export function registeredBackends(): BackendDefinition[] {
  return [...backendRegistry.values()].sort((a, b) => b.priority - a.priority);
}

export function registerKernel<K extends KernelName, B extends Backend>(
  backend: BackendName, kernel: K, implementation: KernelFunction<K, B>,
): void {
  const key = kernelKey(backend, kernel);
  if (kernelRegistry.has(key)) throw new Error(`kernel '${key}' is already registered`);
  kernelRegistry.set(key, implementation as unknown as KernelFunction<KernelName, Backend>);
}

export function getKernel<K extends KernelName>(backend: BackendName, kernel: K): KernelFunction<K> {
  const implementation = kernelRegistry.get(kernelKey(backend, kernel));
  if (!implementation) {
    throw new Error(`backend '${backend}' has no implementation of kernel '${kernel}'`);
  }
  return implementation as unknown as KernelFunction<K>;
}

export function hasKernel(backend: BackendName, kernel: KernelName): boolean {
  return kernelRegistry.has(kernelKey(backend, kernel));
}
