/** A small seedable generator (mulberry32) so fault decisions and generated ids repeat under a seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Starts the sequence again from its seed. */
  restart(): void;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    restart(): void {
      state = seed >>> 0;
    },
  };
}

/** A random seed for when none is configured. */
export const randomSeed = (): number => Math.floor(Math.random() * 0xffffffff);
