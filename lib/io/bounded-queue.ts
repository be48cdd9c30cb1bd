// A bounded FIFO between a producer task and a consumer: push() waits while
// the queue is full, so a producer that parses ahead stays at most
// `capacity` items ahead. close() and fail() end the stream for the consumer.
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((result: IteratorResult<T>) => void)[] = [];
  private readonly failers: ((error: unknown) => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;

  constructor(readonly capacity: number) {}

  /** Waits for room; false when the queue was closed (the consumer left): the producer should stop. */
  async push(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.closed) return false;
    const taker = this.takers.shift();
    if (taker) {
      this.failers.shift();
      taker({ value: item, done: false });
    } else {
      this.items.push(item);
    }
    return true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker({ value: undefined, done: true });
    this.failers.length = 0;
    for (const waiter of this.spaceWaiters.splice(0)) waiter();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.closed = true;
    for (const failer of this.failers.splice(0)) failer(error);
    this.takers.length = 0;
    for (const waiter of this.spaceWaiters.splice(0)) waiter();
  }

  /** The next item; rejects with the producer's error once the items before it are taken. */
  take(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.spaceWaiters.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.takers.push(resolve);
      this.failers.push(reject);
    });
  }
}
