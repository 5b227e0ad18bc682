/**
 * epsilon-SVR with an RBF kernel (ALGORITHMS.md 9.3): `f(x) = sum_i (a_i - a_i*) K(x_i, x) + b`,
 * `K(u, v) = exp(-gamma |u - v|^2)`. Training runs libsvm 3.22 (libsvm-js, wasm); prediction runs
 * here over the exported support vectors, because libsvm-js predicts one row per wasm call.
 */

export interface SvrParams {
  C: number;
  epsilon: number;
  gamma: number;
}

/** A trained model: everything needed to evaluate `f(x)`, as plain JSON-able data. */
export interface SvrModel {
  d: number;
  gamma: number;
  /** `b = -rho`. */
  bias: number;
  /** Support vectors, row-major (`nSv * d`). */
  sv: number[];
  /** Dual coefficients `a_i - a_i*`, one per support vector. */
  coef: number[];
}

export interface SvrTrainOptions {
  /** libsvm kernel cache (MB). ~800 MB makes 17.5k-row fits several times faster (STACK.md). */
  cacheSizeMb?: number;
  /** libsvm stopping tolerance. */
  tolerance?: number;
}

export const DEFAULT_SVR_CACHE_MB = 800;
export const DEFAULT_SVR_TOLERANCE = 0.001;

type Libsvm = Awaited<(typeof import("libsvm-js/wasm.js"))["default"]>;
let libsvm: Promise<Libsvm> | undefined;

/**
 * The Emscripten glue's two-line notice when Node's `fetch` cannot stream a local file and it reads the file
 * instead: harmless, and printed on every load.
 */
const WASM_FALLBACK_NOTICE = /^(wasm streaming compile failed: |falling back to ArrayBuffer instantiation)/;

/**
 * Loads the wasm build once (it is large, so only tasks that train pay for it). The glue binds its error printer
 * to `console.warn` as it loads, so a filter installed for the load silences only that notice, only for libsvm.
 */
function loadLibsvm(): Promise<Libsvm> {
  libsvm ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!(typeof args[0] === "string" && WASM_FALLBACK_NOTICE.test(args[0]))) warn(...args);
    };
    try {
      return (await import("libsvm-js/wasm.js")).default;
    } finally {
      console.warn = warn;
    }
  })();
  return libsvm;
}

/**
 * Trains on `n` rows of `d` already-scaled features (`x` row-major) with targets `y`. The support
 * vectors are copied from `x` at full precision (libsvm's text model rounds them to 8 digits).
 */
export async function trainSvr(
  x: Float64Array,
  n: number,
  d: number,
  y: ArrayLike<number>,
  params: SvrParams,
  options: SvrTrainOptions = {},
): Promise<SvrModel> {
  if (x.length < n * d || y.length < n) throw new Error(`trainSvr: need ${n}x${d} features and ${n} targets`);
  if (!(params.C > 0 && params.epsilon >= 0 && params.gamma > 0)) {
    throw new Error(`trainSvr: invalid parameters ${JSON.stringify(params)}`);
  }
  const SVM = await loadLibsvm();
  const svm = new SVM({
    type: SVM.SVM_TYPES.EPSILON_SVR,
    kernel: SVM.KERNEL_TYPES.RBF,
    cost: params.C,
    epsilon: params.epsilon,
    gamma: params.gamma,
    cacheSize: options.cacheSizeMb ?? DEFAULT_SVR_CACHE_MB,
    tolerance: options.tolerance ?? DEFAULT_SVR_TOLERANCE,
    quiet: true,
  });
  const samples: number[][] = [];
  for (let i = 0; i < n; i++) samples.push(Array.from(x.subarray(i * d, i * d + d)));
  try {
    svm.train(
      samples,
      Array.from({ length: n }, (_, i) => y[i]),
    );
    const { rho, coef } = parseLibsvmModel(svm.serializeModel());
    const indices = svm.getSVIndices(); // 0-based (libsvm-js subtracts libsvm's 1)
    if (indices.length !== coef.length) {
      throw new Error(`trainSvr: libsvm reported ${indices.length} SV indices for ${coef.length} coefficients`);
    }
    const sv = new Array<number>(indices.length * d);
    indices.forEach((row, k) => {
      for (let j = 0; j < d; j++) sv[k * d + j] = x[row * d + j];
    });
    return { d, gamma: params.gamma, bias: -rho, sv, coef };
  } finally {
    svm.free();
  }
}

/** Reads `rho` and the dual coefficients from libsvm's text model format. */
export function parseLibsvmModel(text: string): { rho: number; coef: number[] } {
  const lines = text.split("\n");
  const rhoLine = lines.find((l) => l.startsWith("rho "));
  const svStart = lines.indexOf("SV");
  if (!rhoLine || svStart < 0) throw new Error("libsvm model: missing rho or SV section");
  const rho = Number(rhoLine.slice(4));
  const coef: number[] = [];
  for (const line of lines.slice(svStart + 1)) {
    if (line.trim() === "") continue;
    coef.push(Number(line.slice(0, line.indexOf(" "))));
  }
  if (!Number.isFinite(rho) || coef.some((c) => !Number.isFinite(c))) throw new Error("libsvm model: bad number");
  return { rho, coef };
}

/** Support vectors are stored padded to this width so the kernel loop can be fully unrolled. */
const PAD = 8;

/**
 * Fast evaluation of `f(x)` over typed arrays: one `exp` and `3 * PAD` flops per support vector,
 * with the feature loop unrolled (about 3x faster than a loop over `d` in V8). Models with more than
 * PAD features use the plain loop.
 */
export class SvrPredictor {
  private readonly sv: Float64Array;
  private readonly coef: Float64Array;
  private readonly xp = new Float64Array(PAD);
  readonly nSv: number;
  readonly d: number;
  private readonly gamma: number;
  private readonly bias: number;

  constructor(model: SvrModel) {
    if (model.sv.length !== model.coef.length * model.d) throw new Error("SvrModel: sv and coef sizes disagree");
    this.nSv = model.coef.length;
    this.d = model.d;
    this.coef = Float64Array.from(model.coef);
    this.gamma = model.gamma;
    this.bias = model.bias;
    const width = model.d <= PAD ? PAD : model.d;
    this.sv = new Float64Array(this.nSv * width);
    for (let i = 0; i < this.nSv; i++) {
      for (let j = 0; j < model.d; j++) this.sv[i * width + j] = model.sv[i * model.d + j];
    }
  }

  /** `f` of the `d` scaled features starting at `x[offset]`. */
  predict(x: ArrayLike<number>, offset = 0): number {
    if (this.d > PAD) return this.predictWide(x, offset);
    const p = this.xp;
    for (let j = 0; j < this.d; j++) p[j] = x[offset + j];
    const [x0, x1, x2, x3, x4, x5, x6, x7] = p;
    const { sv, coef, nSv } = this;
    const g = -this.gamma;
    let s = 0;
    for (let i = 0, b = 0; i < nSv; i++, b += PAD) {
      const a0 = x0 - sv[b];
      const a1 = x1 - sv[b + 1];
      const a2 = x2 - sv[b + 2];
      const a3 = x3 - sv[b + 3];
      const a4 = x4 - sv[b + 4];
      const a5 = x5 - sv[b + 5];
      const a6 = x6 - sv[b + 6];
      const a7 = x7 - sv[b + 7];
      s += coef[i] * Math.exp(g * (a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3 + a4 * a4 + a5 * a5 + a6 * a6 + a7 * a7));
    }
    return s + this.bias;
  }

  private predictWide(x: ArrayLike<number>, offset: number): number {
    const { sv, coef, nSv, d } = this;
    let s = 0;
    for (let i = 0, b = 0; i < nSv; i++, b += d) {
      let d2 = 0;
      for (let j = 0; j < d; j++) d2 += (x[offset + j] - sv[b + j]) ** 2;
      s += coef[i] * Math.exp(-this.gamma * d2);
    }
    return s + this.bias;
  }

  /** `f` of each of `n` rows (row-major, `d` columns). */
  predictRows(x: Float64Array, n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.predict(x, i * this.d);
    return out;
  }
}
