// A small seeded generator whose whole state is four 32-bit words, so it
// can be saved in a checkpoint and resumed exactly (xoshiro128**, seeded
// through splitmix32 so nearby seeds give unrelated streams).

export type RandomState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private s: Uint32Array;

  private constructor(state: RandomState) {
    this.s = Uint32Array.from(state);
    if (this.s.every((word) => word === 0)) this.s[0] = 1;
  }

  static fromSeed(seed: number): Random {
    const next = splitmix32(seed);
    return new Random([next(), next(), next(), next()]);
  }

  static fromState(state: RandomState): Random {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new RangeError(`random state must be four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    return new Random(state);
  }

  /** The state to store in a checkpoint. */
  state(): RandomState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box-Muller; one value per call keeps the state simple). */
  nextGaussian(): number {
    const u = 1 - this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
