// A stream's bytes read ahead while the consumer parses, handed over as one chunk of all that
// came meanwhile (at most `limit` bytes). A pipe gives 64 KiB a read: parsed as they came, each
// was a wave of one segment for the parallel parser (one thread) and a hop to a libuv thread and
// back, and stdin parsed at 0.4× the speed of the same file. When the consumer keeps up, a chunk
// is what one read gave, so a quiet stream's rows go out as soon as its bytes come.
//
// Memory is fixed: two buffers of `limit` bytes, made when the first bytes come. A chunk the
// source gives is copied at once, so a source may reuse its buffer for the next one.

/**
 * `input`'s bytes, read ahead into two buffers of `limit` bytes: each chunk yielded holds what
 * came since the one before (up to `limit`), and stays valid until the next is asked for. An
 * error of the source is thrown after the bytes that came before it.
 */
export async function* readAhead(input: AsyncIterable<Uint8Array>, limit = 4 << 20): AsyncGenerator<Uint8Array> {
  const iterator = input[Symbol.asyncIterator]();
  let buffers: [Buffer, Buffer] | undefined;
  let filling = 0;
  let length = 0;  // bytes in buffers[filling]
  let ended = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  const wakeTheConsumer = () => {
    const resolve = wakeConsumer;
    wakeConsumer = undefined;
    resolve?.();
  };
  const wakeThePump = () => {
    const resolve = wakePump;
    wakePump = undefined;
    resolve?.();
  };
  const pump = (async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done || stopped) return;
        let chunk = step.value;
        while (chunk.length > 0) {
          while (length === limit && !stopped) await new Promise<void>((resolve) => { wakePump = resolve; });
          if (stopped) return;
          buffers ??= [Buffer.allocUnsafeSlow(limit), Buffer.allocUnsafeSlow(limit)];
          const taken = Math.min(chunk.length, limit - length);
          buffers[filling].set(chunk.subarray(0, taken), length);
          length += taken;
          chunk = chunk.subarray(taken);
          wakeTheConsumer();
        }
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wakeTheConsumer();
      // The consumer left while a read was in flight: the source is let go once that read settles.
      if (stopped) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  })();
  try {
    for (;;) {
      while (length === 0 && !ended) await new Promise<void>((resolve) => { wakeConsumer = resolve; });
      if (length === 0) {
        if (failure) throw failure.error;
        return;
      }
      const chunk = buffers![filling].subarray(0, length);
      filling ^= 1;
      length = 0;
      wakeThePump();
      yield chunk;
    }
  } finally {
    if (!ended) {
      stopped = true;
      wakeThePump();
    } else {
      await pump;
    }
  }
}
