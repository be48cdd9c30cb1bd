// Shared timing: warm up, then repeat until a time budget is spent, and
// report the median, so one slow run (GC, a noisy neighbour) does not move it.
export interface Timing {
  medianMs: number;
  runs: number;
}

export async function time(fn: () => unknown, budgetMs = 600, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 3 || (performance.now() - start < budgetMs && samples.length < 200)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)], runs: samples.length };
}
