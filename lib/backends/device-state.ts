// State that a GPU backend keeps on its device between batches. A kernel that
// adds to a state's sums on the device (webgpu's pcaAccumulate) keeps the
// batches' contributions there, in the device's memory, and copies nothing
// back per batch; the host arrays of the state then lag behind until someone
// settles the state: the contributions are read back once, added into the host
// arrays (float64) and the device's copy is released. The trainer settles
// before every read of a state (checkpoints, merges, finalize, the end of a
// pass), saving a state settles it, and synchronous readers (merge, the
// byte encoders) refuse a state that is not settled instead of reading stale numbers.

/** What of a state this file reads: its tensors' arrays (algorithms/types.ts State; backends sit below algorithms). */
export interface TensorHolder {
  tensors: Record<string, { data: object }>;
}

/** Device-side contributions to one state's host arrays, not yet added into them. */
export interface PendingOnDevice {
  /** The backend holding them, for messages ("webgpu"). */
  readonly backend: string;
  /** The backend object holding them: a call on any other backend must settle them first. */
  readonly owner: object;
  /** Reads the contributions back, adds them into the host arrays and releases the device's copy. */
  settle(): Promise<void>;
}

// Keyed by a host array of the state (the one the kernel was handed), so that any State object
// holding that array (a copy of the tensors record, say) finds it.
const pending = new WeakMap<object, PendingOnDevice>();

/** Registers (or replaces) what a device holds for the host array `key` until it is settled. */
export function holdOnDevice(key: object, work: PendingOnDevice): void {
  pending.set(key, work);
}

/** What a device holds for `key`, if anything. */
export function heldOnDevice<T extends PendingOnDevice>(key: object): T | undefined {
  return pending.get(key) as T | undefined;
}

// Work on one state's device copy, one call at a time: a kernel call (which may create the copy,
// or settle it first) and a settle never interleave, so two updates of one state started together
// add both batches, and a settle waits for the update under way.
const queues = new WeakMap<object, Promise<unknown>>();

/** Runs `work` after every earlier exclusive work on `key` has ended (not re-entrant: do not nest on one key). */
export function exclusiveOnDevice<T>(key: object, work: () => Promise<T>): Promise<T> {
  const result = (queues.get(key) ?? Promise.resolve()).then(work);
  queues.set(key, result.catch(() => undefined));
  return result;
}

/** Forgets `key` (its device copy was released). */
export function releaseOnDevice(key: object, work: PendingOnDevice): void {
  if (pending.get(key) === work) pending.delete(key);
}

function pendingOf(state: TensorHolder): PendingOnDevice[] {
  const found = new Set<PendingOnDevice>();
  for (const tensor of Object.values(state.tensors)) {
    const work = pending.get(tensor.data);
    if (work) found.add(work);
  }
  return [...found];
}

// Each state's turns, keyed by its tensors record (what the kernels work on; a copy of the State
// object shares it): the algorithms' updates run one at a time in the order started
// (algorithms/counted-update.ts), and a settle or a save takes its turn after the updates started
// before it, so that it holds their batches.
const turns = new WeakMap<object, Promise<unknown>>();

/** Runs `work` after every earlier turn on the state has ended (not re-entrant: never nest on one state). */
export function inStateTurn<T>(state: TensorHolder, work: () => Promise<T>): Promise<T> {
  const result = (turns.get(state.tensors) ?? Promise.resolve()).then(work);
  turns.set(state.tensors, result.catch(() => undefined));
  return result;
}

/**
 * Brings a state's host arrays up to date with what a GPU backend holds for it (one read-back),
 * so that its tensors can be read, saved or merged; a no-op for a state trained on cpu. It waits
 * for the updates of the state started before it. Call it after `algorithm.update(state, batch,
 * backend)` on a GPU backend before reading `state.tensors` yourself (train(), saveState and
 * finalize do it).
 */
export async function settleState(state: TensorHolder): Promise<void> {
  await turns.get(state.tensors);
  await settleHeld(state);
}

/** settleState for a caller already in the state's turn (inStateTurn): what the device holds now. */
export async function settleHeld(state: TensorHolder): Promise<void> {
  for (const work of pendingOf(state)) await work.settle();
}

/**
 * Settles what a backend other than `backend` holds for the state: a kernel on `backend` (cpu, say) reads the host
 * arrays, which must hold every batch before it. The algorithms' update calls it; a no-op when nothing is held.
 */
export async function settleForBackend(state: TensorHolder, backend: object): Promise<void> {
  for (const work of pendingOf(state)) if (work.owner !== backend) await work.settle();
}

/** Whether a GPU backend holds contributions to the state that its host arrays lack. */
export function isSettled(state: TensorHolder): boolean {
  return pendingOf(state).length === 0;
}

/**
 * Throws when the state's host arrays lag behind its device copy: `what` (e.g. "pca.merge") would read stale numbers.
 * `remedy`: what the message tells the caller to do (default: settleState).
 */
export function requireSettled(state: TensorHolder, what: string,
  remedy = 'await settleState(state) first (train(), saveState and finalize do it)'): void {
  const work = pendingOf(state);
  if (work.length > 0) throw new Error(`${what}: the state's latest batches are still on the ${work[0].backend} device; ${remedy}`);
}

/**
 * A GPU backend's states on its device: the kernel calls under way on them (one at a time per state), and the
 * states whose latest batches it holds. close() lets the calls finish and settles every state before the device
 * goes; a call after it is an error rather than work enqueued on a destroyed device.
 */
export class ResidentStates {
  /** States whose latest batches are held on the device. */
  readonly resident = new Set<PendingOnDevice>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private isClosed = false;

  constructor(private readonly backend: string) {}

  /** Whether close() was called: the backend must run no more kernels. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Throws once closed: work enqueued on a destroyed device would be lost, and its errors say nothing. */
  assertOpen(): void {
    if (this.isClosed) throw new Error(`${this.backend}: this backend was disposed; create another (createBackend) to run kernels`);
  }

  /** Runs a training kernel's call on the state keyed by `key`, after the calls before it on that state. */
  run<T>(key: object, work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const call = exclusiveOnDevice(key, work);
    this.inFlight.add(call);
    const done = () => this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /** Lets the calls under way finish, then settles every state held: before the device is released. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.allSettled([...this.inFlight]);
    while (this.resident.size > 0) for (const held of [...this.resident]) await held.settle();
  }
}

/**
 * The calls of an evaluator (or validator) under way: its settle must wait for the adds already started, whose
 * device copy may not exist yet (an add checks its batch first), or it would read the sums without them.
 */
export class CallsUnderWay {
  private last: Promise<unknown> = Promise.resolve();

  /** Tracks `call` and returns it. */
  track<T>(call: Promise<T>): Promise<T> {
    this.last = Promise.allSettled([this.last, call]);
    return call;
  }

  /** Resolves once every call tracked so far has ended (failed ones too). */
  async ended(): Promise<void> {
    await this.last;
  }
}
