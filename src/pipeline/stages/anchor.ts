import { acquisitionDomain, headerDigest } from "../../chain/eip712";
import { anchoredInReceipt, headerFromJson, headerToJson, nextHeader } from "../../chain/headers";
import { signDigest } from "../../chain/nativeEcdsa.node";
import { readStreamState } from "../../chain/streams";
import { mineBlocks, setNextBlockTime } from "../clock";
import { callWithRetry, sendWithRetry } from "../sender";
import type { SigningKey } from "ethers";
import type { BatchHeader } from "../../chain/types";
import { periodWindow, type ChainSetup, type PipelineContext } from "./context";

/**
 * Stage "anchor": signs a period's built batches with the generator's key on its stream tip, sends them in one
 * transaction and confirms them; each step is journaled before the next action, so a crash at any point
 * resumes without anchoring anything twice.
 */
export async function anchorPeriod(ctx: PipelineContext, period: number): Promise<void> {
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
  const batches = journal.batches({ period }).filter((b) => b.state !== "confirmed");
  if (batches.length === 0) return;
  const iface = chain.core.acquisition.interface;
  const calls = batches.map((b) => iface.encodeFunctionData("anchorBatch", [headerFromJson(b.header!), b.signature!]));
  const data = calls.length === 1 ? calls[0] : iface.encodeFunctionData("multicall", [calls]);
  const context = `anchor period ${period} (${batches.map((b) => b.batchKey).join(", ")})`;
  if (chain.mode === "warp") await callWithRetry(context, () => setNextBlockTime(ctx.provider, windowEnd + 2), retry);
  const receipt = await sendWithRetry(
    ctx.signer,
    { to: chain.contracts.DataAcquisition, data },
    context,
    (txHash, nonce) => {
      for (const b of batches) journal.updateBatch(b.batchKey, "submitted", { txHash, nonce }, `tx ${txHash}`);
    },
    { ...retry, confirmations: chain.mode === "warp" ? 1 : ctx.confirmations },
  );
  // On other nodes sendWithRetry already waited for the confirmations.
  if (ctx.confirmations > 1 && chain.mode === "warp")
    await callWithRetry(context, () => mineBlocks(ctx.provider, ctx.confirmations - 1), retry);
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
