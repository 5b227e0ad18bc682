import { createRng } from "../common/rng";
import { GridNetwork } from "./network";

export interface LayoutOptions {
  iterations: number;
  seed: number;
}

export const DEFAULT_LAYOUT: Readonly<LayoutOptions> = Object.freeze({ iterations: 400, seed: 7 });

/** Above this many nodes the O(n^2) layout is refused: it is meant for drawing the IEEE systems. */
export const MAX_LAYOUT_NODES = 3000;

/** All-pairs hop distances by BFS; pairs in different islands get (largest distance + 1). */
function hopDistances(net: GridNetwork): Float64Array {
  const { n, adjStart, adjNode } = net;
  const d = new Float64Array(n * n).fill(-1);
  const queue = new Int32Array(n);
  let far = 1;
  for (let s = 0; s < n; s++) {
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    d[s * n + s] = 0;
    while (head < tail) {
      const u = queue[head++];
      for (let k = adjStart[u]; k < adjStart[u + 1]; k++) {
        const v = adjNode[k];
        if (d[s * n + v] < 0) {
          d[s * n + v] = d[s * n + u] + 1;
          far = Math.max(far, d[s * n + v]);
          queue[tail++] = v;
        }
      }
    }
  }
  for (let i = 0; i < d.length; i++) if (d[i] < 0) d[i] = far + 1;
  return d;
}

/**
 * Node positions for drawing a case without geography: stress majorization (Gansner, Koren & North
 * 2004) on hop distances, from a seeded random start, so the same case always draws the same way.
 * Coordinates are in hop units.
 */
export function layoutNetwork(
  net: GridNetwork,
  opts: Partial<LayoutOptions> = {},
): { x: Float64Array; y: Float64Array } {
  const { iterations, seed } = { ...DEFAULT_LAYOUT, ...opts };
  const n = net.n;
  if (n > MAX_LAYOUT_NODES)
    throw new RangeError(`layoutNetwork: ${n} nodes is too many to draw (max ${MAX_LAYOUT_NODES})`);
  const d = hopDistances(net);
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => rng.next() * Math.sqrt(n));
  const y = Float64Array.from({ length: n }, () => rng.next() * Math.sqrt(n));
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      let sx = 0;
      let sy = 0;
      let sw = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dij = d[i * n + j];
        const w = 1 / (dij * dij);
        const dx = x[i] - x[j];
        const dy = y[i] - y[j];
        const dist = Math.hypot(dx, dy) || 1e-9;
        sx += w * (x[j] + (dij * dx) / dist);
        sy += w * (y[j] + (dij * dy) / dist);
        sw += w;
      }
      if (sw > 0) {
        x[i] = sx / sw;
        y[i] = sy / sw;
      }
    }
  }
  return { x, y };
}
