/** A seeded uniform generator in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: tiny, fast and the same sequence on every platform, so Node workers, browser pages and training
 * scripts rebuild identical inputs from a seed. Not for cryptography or statistics-sensitive sampling.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
