import assert from 'node:assert/strict';
import { Random } from '../lib/index.js';

describe('seeded random generator', () => {
  it('is reproducible from a seed and differs between seeds', () => {
    const a = Random.fromSeed(42);
    const b = Random.fromSeed(42);
    const c = Random.fromSeed(43);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), seqA);
    assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextUint32()), seqA);
  });

  it('continues exactly from a saved state (what a checkpoint stores)', () => {
    const original = Random.fromSeed(7);
    for (let i = 0; i < 100; i++) original.nextFloat();
    const saved = JSON.parse(JSON.stringify(original.state()));
    const restored = Random.fromState(saved);
    for (let i = 0; i < 50; i++) assert.equal(restored.nextGaussian(), original.nextGaussian());
  });

  it('draws uniform floats and standard normals with the right moments', () => {
    const random = Random.fromSeed(1);
    const n = 200_000;
    let sum = 0, sumSq = 0, below = 0;
    for (let i = 0; i < n; i++) {
      const g = random.nextGaussian();
      sum += g;
      sumSq += g * g;
      if (random.nextFloat() < 0.25) below++;
    }
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, proportion ≈ 0.001.
    assert.ok(Math.abs(sum / n) < 0.01, `mean ${sum / n}`);
    assert.ok(Math.abs(sumSq / n - 1) < 0.015, `variance ${sumSq / n}`);
    assert.ok(Math.abs(below / n - 0.25) < 0.005, `P(u < 0.25) = ${below / n}`);
  });

  it('rejects a malformed state', () => {
    assert.throws(() => Random.fromState([1, 2, 3] as never), /random state must be four unsigned 32-bit integers, got \[1,2,3\]/);
  });
});
