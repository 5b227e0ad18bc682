import { createRng } from "../common/rng";
import { choleskySolve } from "./linalg";

/**
 * Extreme learning machine (P000 eq. 1-2, ALGORITHMS.md 9): a random, untrained sigmoid hidden layer
 * `H = sigmoid(X W + c)` and ridge output weights `b = (H^T H + I/C)^-1 H^T Y`.
 */
export interface ElmParams {
  hidden: number;
  C: number;
  seed: number;
}

export interface ElmModel {
  d: number;
  hidden: number;
  /** Input weights, `hidden x d` row-major. */
  w: number[];
  /** Hidden biases. */
  c: number[];
  /** Output weights. */
  beta: number[];
}

/** Fits on `n` rows of `d` scaled features (row-major) and targets `y`. */
export function trainElm(x: Float64Array, n: number, d: number, y: ArrayLike<number>, params: ElmParams): ElmModel {
  const { hidden: m, C } = params;
  if (!(m >= 1 && C > 0)) throw new Error(`trainElm: invalid parameters ${JSON.stringify(params)}`);
  const rng = createRng(params.seed);
  const w = Array.from({ length: m * d }, () => 2 * rng.next() - 1);
  const c = Array.from({ length: m }, () => 2 * rng.next() - 1);
  const model: ElmModel = { d, hidden: m, w, c, beta: [] };
  const hth = new Float64Array(m * m);
  const hty = new Float64Array(m);
  const h = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    hiddenLayer(model, x, i * d, h);
    for (let p = 0; p < m; p++) {
      const hp = h[p];
      hty[p] += hp * y[i];
      for (let q = 0; q <= p; q++) hth[p * m + q] += hp * h[q];
    }
  }
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < p; q++) hth[q * m + p] = hth[p * m + q];
    hth[p * m + p] += 1 / C;
  }
  model.beta = Array.from(choleskySolve(hth, m, hty));
  return model;
}

function hiddenLayer(model: ElmModel, x: ArrayLike<number>, offset: number, out: Float64Array): void {
  const { d, hidden, w, c } = model;
  for (let p = 0; p < hidden; p++) {
    let z = c[p];
    for (let j = 0; j < d; j++) z += w[p * d + j] * x[offset + j];
    out[p] = 1 / (1 + Math.exp(-z));
  }
}

/** Evaluates a trained ELM. */
export class ElmPredictor {
  private readonly h: Float64Array;
  constructor(private readonly model: ElmModel) {
    this.h = new Float64Array(model.hidden);
  }

  predict(x: ArrayLike<number>, offset = 0): number {
    hiddenLayer(this.model, x, offset, this.h);
    let s = 0;
    for (let p = 0; p < this.model.hidden; p++) s += this.model.beta[p] * this.h[p];
    return s;
  }

  predictRows(x: Float64Array, n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.predict(x, i * this.model.d);
    return out;
  }
}
