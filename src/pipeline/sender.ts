import {
  BaseWallet,
  keccak256,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";
import { decodeRevert, ContractRevertError } from "../chain/errors";
import { SEND_DEFAULTS } from "./options";

export interface SendOptions {
  /** Send attempts before giving up on an unreachable node. */
  attempts: number;
  /** First back-off delay; doubles per attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long to wait for a receipt before re-sending the same nonce with a higher fee. */
  receiptTimeoutMs: number;
  /** Fee increase per re-send, percent (nodes require at least 10% to replace a pending transaction). */
  feeBumpPercent: number;
  /** Batches one anchoring transaction carries at most (a stream's batches always travel together). */
  batchesPerTransaction: number;
  confirmations: number;
  log: (line: string) => void;
}

export const DEFAULT_SEND_OPTIONS: Readonly<SendOptions> = Object.freeze({
  ...SEND_DEFAULTS,
  confirmations: 1,
  log: () => undefined,
});

/** The node did not answer through every retry. The journal keeps the batch; resume later. */
export class NodeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NodeUnavailableError";
  }
}

/**
 * Gas above the estimate. A reorganisation can re-execute a transaction after others it came before: an anchor
 * that then writes a storage slot first (20,000 gas more than a later write) must not run out of gas, and an
 * out-of-gas call inside multicall reverts the whole transaction.
 */
export function withHeadroom(estimate: bigint): bigint {
  const fifth = estimate / 5n;
  return estimate + (fifth > 30_000n ? fifth : 30_000n);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls for a receipt (not every provider implements waitForTransaction, e.g. Hardhat's in-process one). */
async function receiptWithin(
  provider: Provider,
  hash: string,
  timeoutMs: number,
  confirmations = 1,
): Promise<TransactionReceipt | null> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt && (confirmations <= 1 || (await receipt.confirmations()) >= confirmations)) return receipt;
    if (Date.now() > deadline) return null;
    await sleep(delay);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Nonce errors mean an earlier send of ours (or someone's) took the nonce; never a reason to give up. */
function isNonceConflict(e: unknown): boolean {
  return /nonce too low|nonce has already been used|already known|replacement transaction underpriced|NONCE_EXPIRED|REPLACEMENT_UNDERPRICED/i.test(
    message(e),
  );
}

/** Logs a failed attempt and waits the exponential back-off before the next. */
async function pauseBeforeRetry(o: SendOptions, context: string, attempt: number, e: unknown): Promise<void> {
  const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  o.log(`${context}: attempt ${attempt} failed (${message(e).split("\n")[0]}); retrying in ${delay} ms`);
  await sleep(delay);
}

function unavailable(context: string, attempts: number, started: number, lastError: unknown): NodeUnavailableError {
  return new NodeUnavailableError(
    `${context}: the node did not answer after ${attempts} attempts over ${Math.round((Date.now() - started) / 1000)} s ` +
      `(last error: ${message(lastError).split("\n")[0]})`,
    { cause: lastError },
  );
}

/**
 * Runs one node call (a read, or a development node's RPC) with the same back-off as sending, so a node that
 * goes away between transactions also ends the run with NodeUnavailableError (and the resume hint).
 * Contract reverts are not retried.
 */
export async function callWithRetry<T>(
  context: string,
  call: () => Promise<T>,
  options: Partial<SendOptions> = {},
): Promise<T> {
  const o = { ...DEFAULT_SEND_OPTIONS, ...options };
  const started = Date.now();
  let lastError: unknown;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      return await call();
    } catch (e) {
      const decoded = decodeRevert(e, context);
      if (decoded instanceof ContractRevertError) throw decoded;
      lastError = e;
      await pauseBeforeRetry(o, context, attempt, e);
    }
  }
  throw unavailable(context, o.attempts, started, lastError);
}

/**
 * Sends one transaction until it is mined: retries with exponential back-off while the node is unreachable,
 * re-sends the same nonce with a bumped fee when no receipt comes in time, and recognises its own earlier
 * sends when a nonce turns out to be used. Contract reverts are not retried: they are decoded and thrown.
 * `onSubmitted` runs after each send, so the caller can journal the transaction hash before waiting.
 */
export async function sendWithRetry(
  signer: Signer,
  request: TransactionRequest,
  context: string,
  onSubmitted: (txHash: string, nonce: number) => void,
  options: Partial<SendOptions> = {},
): Promise<TransactionReceipt> {
  const o = { ...DEFAULT_SEND_OPTIONS, ...options };
  const provider = signer.provider as Provider;
  const sent: string[] = [];
  let nonce: number | undefined;
  let bump = 100;
  let lastError: unknown;
  const started = Date.now();

  const minedOwn = async (): Promise<TransactionReceipt | null> => {
    for (const hash of sent) {
      const receipt = await provider.getTransactionReceipt(hash).catch(() => null);
      if (receipt) return receipt;
    }
    return null;
  };

  const waited = new Set<string>();
  /** One of our sends the node still holds in its pool (after a failover, the next endpoint may have it). */
  const pendingOwn = async (): Promise<string | undefined> => {
    for (const hash of sent) {
      if (waited.has(hash)) continue;
      const tx = await provider.getTransaction(hash).catch(() => null);
      if (tx && tx.blockNumber === null) return hash;
    }
    return undefined;
  };

  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      const earlier = await minedOwn();
      if (earlier) return await finish(earlier);
      // Checked by hash before sending again: a send whose answer was lost may still be in the pool.
      const pending = await pendingOwn();
      let hash: string;
      if (pending) {
        o.log(`${context}: ${pending} is still pending; waiting for it instead of sending again`);
        hash = pending;
      } else {
        nonce ??= await signer.getNonce("pending");
        const fees = await provider.getFeeData();
        const scaled = (v: bigint | null) => (v === null ? undefined : (v * BigInt(bump)) / 100n);
        const gasLimit = request.gasLimit ?? withHeadroom(await provider.estimateGas({ ...request, from: signer }));
        const tx: TransactionRequest = {
          ...request,
          gasLimit,
          nonce,
          ...(fees.maxFeePerGas !== null
            ? { maxFeePerGas: scaled(fees.maxFeePerGas), maxPriorityFeePerGas: scaled(fees.maxPriorityFeePerGas) }
            : { gasPrice: scaled(fees.gasPrice) }),
        };
        if (signer instanceof BaseWallet) {
          // A local key signs first, so the hash is known (and journaled) before any node sees the transaction.
          const raw = await signer.signTransaction(await signer.populateTransaction(tx));
          hash = keccak256(raw);
          sent.push(hash);
          onSubmitted(hash, nonce);
          await provider.broadcastTransaction(raw);
        } else {
          hash = (await signer.sendTransaction(tx)).hash;
          sent.push(hash);
          onSubmitted(hash, nonce);
        }
      }
      const receipt = await receiptWithin(provider, hash, o.receiptTimeoutMs);
      if (receipt) return await finish(receipt);
      waited.add(hash);
      o.log(
        `${context}: no receipt for ${hash} after ${o.receiptTimeoutMs} ms; re-sending nonce ${nonce} with ${o.feeBumpPercent}% more fee`,
      );
      bump = Math.ceil((bump * (100 + o.feeBumpPercent)) / 100);
    } catch (e) {
      const decoded = decodeRevert(e, context);
      if (decoded instanceof ContractRevertError) throw decoded;
      if (isNonceConflict(e)) {
        const earlier = await minedOwn();
        if (earlier) return await finish(earlier);
        nonce = undefined;
        bump = Math.ceil((bump * (100 + o.feeBumpPercent)) / 100);
      }
      lastError = e;
      await pauseBeforeRetry(o, context, attempt, e);
    }
  }
  throw unavailable(context, o.attempts, started, lastError);

  async function finish(receipt: TransactionReceipt): Promise<TransactionReceipt> {
    if (receipt.status !== 1)
      throw new Error(`${context}: transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`);
    if (
      o.confirmations > 1 &&
      !(await receiptWithin(provider, receipt.hash, o.receiptTimeoutMs * o.confirmations, o.confirmations))
    ) {
      throw new Error(`${context}: ${receipt.hash} did not reach ${o.confirmations} confirmations`);
    }
    return receipt;
  }
}
