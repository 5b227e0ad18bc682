/** Minimal types for the parts of libsvm-js 0.2 (wasm build) that GridLedger uses; it ships none. */
declare module "libsvm-js/wasm.js" {
  interface LibsvmOptions {
    type?: string;
    kernel?: string;
    cost?: number;
    epsilon?: number;
    gamma?: number;
    cacheSize?: number;
    tolerance?: number;
    shrinking?: boolean;
    quiet?: boolean;
  }
  interface LibsvmInstance {
    train(samples: number[][], labels: number[]): void;
    predictOne(sample: number[]): number;
    getSVIndices(): number[];
    serializeModel(): string;
    free(): void;
  }
  interface LibsvmStatic {
    new (options: LibsvmOptions): LibsvmInstance;
    SVM_TYPES: { EPSILON_SVR: string };
    KERNEL_TYPES: { RBF: string };
  }
  const loaded: Promise<LibsvmStatic>;
  export default loaded;
}
