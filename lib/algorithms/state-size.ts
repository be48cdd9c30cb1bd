// A state's memory is fixed by its hyperparameters; when they ask for more than
// this process can allocate, say how much and which settings decide it, instead
// of the engine's "Array buffer allocation failed".
export function allocateState<T>(algorithm: string, bytes: number, decidedBy: string, allocate: () => T): T {
  try {
    return allocate();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const gib = bytes / 2 ** 30;
    throw new RangeError(`${algorithm}: the state needs ${gib >= 0.1 ? `${gib.toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`} (${decidedBy}) and could not be allocated: ${error.message}`);
  }
}
