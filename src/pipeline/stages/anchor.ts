import { awaitConfirmations } from "../../chain/confirmations";
import { acquisitionDomain, headerDigest } from "../../chain/eip712";
import { anchoredInReceipt, headerFromJson, headerToJson, nextHeader } from "../../chain/headers";
import { signDigest } from "../../chain/nativeEcdsa.node";
import { readStreamState } from "../../chain/streams";
import { mineBlocks, setNextBlockTime } from "../clock";
import { callWithRetry, sendWithRetry } from "../sender";
import type { SigningKey } from "ethers";
import type { BatchHeader } from "../../chain/types";
import type { JournalBatch } from "../journal";
import { periodWindow, type ChainSetup, type PipelineContext } from "./context";

/** How many times one period is sent again after reorganisations drop it, before the run stops. */
export const MAX_REORG_RESENDS = 5;

/** Signs the period's "built" batches on their stream tips (the tip this process signed last, else the chain's). */
async function signBuilt(ctx: PipelineContext, period: number): Promise<void> {
  const { journal, chain, log } = ctx;
  const { windowStart, windowEnd } = periodWindow(ctx, period);
  const retry = { ...ctx.send, log };
  const domain = acquisitionDomain(chain.chainId, chain.contracts.DataAcquisition);
  for (const b of journal.batches({ period, state: "built" })) {
    const label = ctx.labelOf(b.terminalId);
    const tip =
      ctx.tips.get(b.terminalId) ??
      (await callWithRetry(
        `read the stream tip of ${label}`,
        () => readStreamState(chain.core.acquisition, b.terminalId),
        retry,
      ));
    const { header, next } = nextHeader(tip, {
      dataType: b.dataType,
      terminalId: b.terminalId,
      windowStart: BigInt(windowStart),
      windowEnd: BigInt(windowEnd),
      recordCount: b.recordCount,
      merkleRoot: b.root,
    });
    const signature = signDigest(ctx.keyOf(b.terminalId), headerDigest(domain, header));
    ctx.tips.set(b.terminalId, next);
    journal.updateBatch(
      b.batchKey,
      "signed",
      { header: headerToJson(header), signature },
      `sequence ${header.sequence} by ${label}`,
    );
  }
}

/**
 * After a reorganisation dropped the period's transaction: a stream's batches stay "submitted" when the first
 * of its signed headers still extends the stream's tip (the same headers are sent again; the later ones extend
 * the first), and go back to "built", to be signed again on the last header the chain holds, when it does not.
 */
async function afterDrop(ctx: PipelineContext, batches: readonly JournalBatch[], why: string): Promise<void> {
  const { journal, chain, log } = ctx;
  const byStream = new Map<string, JournalBatch[]>();
  for (const b of batches) byStream.set(b.terminalId, [...(byStream.get(b.terminalId) ?? []), b]);
  for (const [terminalId, own] of byStream) {
    const first = own.map((b) => headerFromJson(b.header!)).sort((x, y) => Number(x.sequence - y.sequence))[0];
    const same = await callWithRetry(
      `check the stream of ${ctx.labelOf(terminalId)}`,
      () => chain.core.acquisition.extendsStream(terminalId, first.sequence, first.prevHeaderHash),
      { ...ctx.send, log },
    );
    if (!same) ctx.tips.delete(terminalId);
    for (const b of own)
      if (same) journal.updateBatch(b.batchKey, "submitted", {}, `${why}; sending the same header again`);
      else journal.updateBatch(b.batchKey, "built", {}, `${why}; the stream tip moved: signing again on it`);
  }
}

/**
 * The pending batches split into transactions of at most `max` batches, each stream's batches (in sequence
 * order) in one transaction: a later header extends an earlier one of the same stream, so they travel together.
 */
export function transactionGroups<B extends Pick<JournalBatch, "terminalId">>(
  batches: readonly B[],
  max: number,
): B[][] {
  const byStream = new Map<string, B[]>();
  for (const b of batches) byStream.set(b.terminalId, [...(byStream.get(b.terminalId) ?? []), b]);
  const groups: B[][] = [];
  let current: B[] = [];
  for (const own of byStream.values()) {
    if (current.length > 0 && current.length + own.length > max) {
      groups.push(current);
      current = [];
    }
    current.push(...own);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Stage "anchor": signs a period's built batches with their generators' keys on their stream tips, sends them
 * (one transaction, or several of at most `send.batchesPerTransaction` batches when zones make many) and waits
 * for the confirmations, following each transaction by hash through reorganisations. A transaction a
 * reorganisation drops is sent again (same headers while they still extend the stream tips, else signed again
 * on the chain's tip), so each batch ends confirmed exactly once. Each step is journaled before the next
 * action, so a crash at any point resumes without anchoring anything twice.
 */
export async function anchorPeriod(ctx: PipelineContext, period: number): Promise<void> {
  const drops = new Map<string, number>();
  for (;;) {
    await signBuilt(ctx, period);
    const pending = ctx.journal.batches({ period }).filter((b) => b.state !== "confirmed");
    if (pending.length === 0) return;
    for (const group of transactionGroups(pending, ctx.send.batchesPerTransaction)) {
      const key = group[0].batchKey;
      const round = drops.get(key) ?? 0;
      if (!(await anchorGroup(ctx, period, group, round))) drops.set(key, round + 1);
    }
  }
}

/** Sends one transaction of signed batches and waits for it; false when a reorganisation dropped it. */
async function anchorGroup(
  ctx: PipelineContext,
  period: number,
  batches: readonly JournalBatch[],
  round: number,
): Promise<boolean> {
  const { journal, chain, log } = ctx;
  const { windowEnd } = periodWindow(ctx, period);
  const retry = { ...ctx.send, log };
  const iface = chain.core.acquisition.interface;
  const calls = batches.map((b) => iface.encodeFunctionData("anchorBatch", [headerFromJson(b.header!), b.signature!]));
  const data = calls.length === 1 ? calls[0] : iface.encodeFunctionData("multicall", [calls]);
  const context = `anchor period ${period} (${batches.map((b) => b.batchKey).join(", ")})`;
  if (chain.mode === "warp") await callWithRetry(context, () => setNextBlockTime(ctx.provider, windowEnd + 2), retry);
  const sent = await sendWithRetry(
    ctx.signer,
    { to: chain.contracts.DataAcquisition, data },
    context,
    (txHash, nonce) => {
      for (const b of batches) journal.updateBatch(b.batchKey, "submitted", { txHash, nonce }, `tx ${txHash}`);
    },
    { ...retry, confirmations: 1 },
  );
  // A development node mines the confirmations on demand; other nodes are waited for.
  if (ctx.confirmations > 1 && chain.mode === "warp")
    await callWithRetry(context, () => mineBlocks(ctx.provider, ctx.confirmations - 1), retry);
  const outcome = await callWithRetry(
    context,
    () =>
      awaitConfirmations(ctx.provider, sent.hash, ctx.confirmations, {
        timeoutMs: ctx.send.receiptTimeoutMs * Math.max(1, ctx.confirmations),
        log,
      }),
    retry,
  );
  // Reverted: sendWithRetry saw it succeed, so a reorganisation re-executed it on another state.
  const reverted = outcome.kind === "confirmed" && outcome.receipt.status !== 1;
  if (outcome.kind === "dropped" || reverted) {
    const where = outcome.kind === "dropped" && outcome.lastSeen ? ` from block ${outcome.lastSeen.blockNumber}` : "";
    const why = reverted
      ? `tx ${sent.hash} reverted when a reorganisation re-executed it in block ${outcome.receipt.blockNumber}`
      : `tx ${sent.hash} dropped by a reorganisation${where} before ${ctx.confirmations} confirmations`;
    log(`${context}: ${why}`);
    if (round >= MAX_REORG_RESENDS)
      throw new Error(`${context}: dropped by reorganisations ${round + 1} times; the chain is not settling`);
    await afterDrop(ctx, batches, why);
    return false;
  }
  const { receipt } = outcome;
  const anchored = anchoredInReceipt(iface, receipt);
  const gasEach = Math.round(Number(receipt.gasUsed) / batches.length);
  for (const b of batches) {
    const event = anchored.get(b.root.toLowerCase());
    if (event === undefined)
      throw new Error(`${context}: transaction ${receipt.hash} has no BatchAnchored event for ${b.batchKey}`);
    journal.updateBatch(
      b.batchKey,
      "confirmed",
      { txHash: receipt.hash, blockNumber: receipt.blockNumber, batchId: Number(event.batchId), gasUsed: gasEach },
      `batch ${event.batchId}, block ${receipt.blockNumber}`,
    );
  }
  return true;
}

/** Time to sign one batch header with a terminal key (part of T_build in the block-time model). */
export function headerSigningMs(key: SigningKey, chain: Pick<ChainSetup, "chainId" | "contracts">): number {
  const domain = acquisitionDomain(chain.chainId, chain.contracts.DataAcquisition);
  const header: BatchHeader = {
    dataType: 1,
    terminalId: `0x${"11".repeat(32)}`,
    sequence: 1n,
    windowStart: 0n,
    windowEnd: 900n,
    recordCount: 1,
    merkleRoot: `0x${"22".repeat(32)}`,
    prevHeaderHash: `0x${"00".repeat(32)}`,
  };
  const n = 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) signDigest(key, headerDigest(domain, { ...header, sequence: BigInt(i + 1) }));
  return (performance.now() - t0) / n;
}
