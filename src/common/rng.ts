/**
 * Seeded pseudo-random numbers (sfc32 seeded through splitmix32), so every simulation, split and
 * injection in GridLedger is reproducible from one integer seed.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Exponential with the given rate. */
  exponential(rate: number): number;
  /** An independent stream derived from this one and a label. */
  fork(label: string): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  let a = init(),
    b = init(),
    c = init(),
    d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  let spare: number | undefined;
  const rng: Rng = {
    next: () => u32() / 4294967296,
    int: (lo, hi) => lo + Math.floor(rng.next() * (hi - lo + 1)),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    exponential: (rate) => {
      let u = 0;
      while (u === 0) u = rng.next();
      return -Math.log(u) / rate;
    },
    fork: (label) => createRng((u32() ^ hashLabel(label)) >>> 0),
  };
  return rng;
}
