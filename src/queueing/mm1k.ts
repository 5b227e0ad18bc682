/**
 * Closed forms of the M/M/1/K queue (ALGORITHMS.md section 3; P003 eq. 1-2, P000 eq. 3-4).
 * Poisson arrivals at rate `lambda`, one exponential server at rate `mu`, room for `K` packets in
 * the system (the papers' `m`). Rates are per second, times in seconds.
 */
export interface Mm1kMetrics {
  lambda: number;
  mu: number;
  K: number;
  /** Offered load `lambda / mu`. */
  rho: number;
  /** Probability that the system is empty. */
  p0: number;
  /** Blocking probability `P_K`: an arriving packet finds the buffer full and is lost. */
  pLoss: number;
  /** Mean number of packets in the system. */
  L: number;
  /** Accepted arrival rate `lambda (1 - P_loss)`. */
  lambdaEff: number;
  /** Mean sojourn time of an accepted packet, `L / lambda_eff` (Little's law). */
  tDelay: number;
}

/** Below this distance from 1, rho is treated as exactly 1 (the general forms cancel there). */
const RHO_ONE_TOLERANCE = 1e-9;

/** Throws a RangeError naming the bad argument. */
function checkArgs(lambda: number, mu: number, K: number): void {
  if (!Number.isFinite(lambda) || lambda < 0) throw new RangeError(`M/M/1/K: lambda must be >= 0, got ${lambda}`);
  if (!Number.isFinite(mu) || mu <= 0) throw new RangeError(`M/M/1/K: mu must be > 0, got ${mu}`);
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`M/M/1/K: K must be an integer >= 1, got ${K}`);
}

/**
 * Evaluates the M/M/1/K closed forms. For rho > 1 the forms are rewritten in r = 1/rho so large K
 * cannot overflow; rho^(K+1) - 1 goes through expm1 to keep precision near rho = 1. With no
 * arrivals (lambda = 0) a packet would find the server idle, so `tDelay` is the service time 1/mu.
 */
export function mm1k(lambda: number, mu: number, K: number): Mm1kMetrics {
  checkArgs(lambda, mu, K);
  const rho = lambda / mu;
  let p0: number;
  let pLoss: number;
  let L: number;
  if (rho === 0) {
    p0 = 1;
    pLoss = 0;
    L = 0;
  } else if (Math.abs(rho - 1) < RHO_ONE_TOLERANCE) {
    p0 = 1 / (K + 1);
    pLoss = p0;
    L = K / 2;
  } else if (rho < 1) {
    const oneMinusPowK1 = -Math.expm1((K + 1) * Math.log(rho)); // 1 - rho^(K+1)
    p0 = (1 - rho) / oneMinusPowK1;
    pLoss = Math.exp(K * Math.log(rho)) * p0;
    L = rho / (1 - rho) - ((K + 1) * (1 - oneMinusPowK1)) / oneMinusPowK1;
  } else {
    const r = 1 / rho;
    const oneMinusRK1 = -Math.expm1((K + 1) * Math.log(r)); // 1 - r^(K+1)
    p0 = (Math.exp(K * Math.log(r)) * r * (rho - 1)) / oneMinusRK1; // (rho-1)/(rho^(K+1)-1)
    pLoss = (1 - r) / oneMinusRK1;
    L = rho / (1 - rho) + (K + 1) / oneMinusRK1;
  }
  const lambdaEff = lambda * (1 - pLoss);
  const tDelay = lambdaEff > 0 ? L / lambdaEff : 1 / mu;
  return { lambda, mu, K, rho, p0, pLoss, L, lambdaEff, tDelay };
}
