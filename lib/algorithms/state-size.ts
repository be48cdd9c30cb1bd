// A state's memory is fixed by its hyperparameters; when they ask for more than
// this process can allocate, say how much and which settings decide it, instead
// of the engine's "Array buffer allocation failed".
import { totalmem } from 'node:os';

const size = (bytes: number) => (bytes / 2 ** 30 >= 0.1 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`);

/**
 * `allocate()`, or a RangeError naming the state's size (`bytes`: the whole state's, about) and what
 * decides it. A state larger than the machine's memory is refused before anything is allocated: the
 * allocation itself can succeed (pages are committed as they are first written), and the process
 * was killed once they were (a linear learner of 2^31 hashed features: exit 137, nothing said).
 */
export function allocateState<T>(algorithm: string, bytes: number, decidedBy: string, allocate: () => T): T {
  const memory = totalmem();
  if (bytes > memory) {
    throw new RangeError(`${algorithm}: the state needs ${size(bytes)} (${decidedBy}), more than this machine's ${size(memory)} of memory`);
  }
  try {
    return allocate();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new RangeError(`${algorithm}: the state needs ${size(bytes)} (${decidedBy}) and could not be allocated: ${error.message}`);
  }
}
