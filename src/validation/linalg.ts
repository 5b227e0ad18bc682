/**
 * Solves `A x = b` for a symmetric positive-definite `m x m` matrix `A` (row-major) by Cholesky
 * factorisation. `A` is overwritten with its factor. Throws when `A` is not positive definite.
 */
export function choleskySolve(a: Float64Array, m: number, b: Float64Array): Float64Array {
  for (let j = 0; j < m; j++) {
    let diag = a[j * m + j];
    for (let k = 0; k < j; k++) diag -= a[j * m + k] ** 2;
    if (!(diag > 0)) throw new Error(`choleskySolve: matrix is not positive definite (pivot ${j})`);
    const ljj = Math.sqrt(diag);
    a[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < m; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= a[i * m + k] * x[k];
    x[i] = s / a[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < m; k++) s -= a[k * m + i] * x[k];
    x[i] = s / a[i * m + i];
  }
  return x;
}
