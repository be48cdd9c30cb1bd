// Ctrl-C and SIGTERM for commands that write an output: the signal aborts the reading at the next
// batch, so the half-written output is removed (its writer aborts it) and the command ends with
// status 130 and a line saying what was kept. Node's default ended the process at once, leaving
// the temporary file (predict: 73 MB of it) and status 143 for SIGTERM.
export interface Interruption {
  readonly signal: AbortSignal;
  /** Stops listening for the signals (the command is done, or failed). */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM until dispose(); either aborts `signal`. */
export function listenForInterrupt(): Interruption {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
