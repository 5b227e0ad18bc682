import { listBatches } from "../../chain/streams";
import type { JournalBatch } from "../journal";
import type { PipelineContext } from "./context";

/** Whether the root of `b` was anchored in another terminal's stream (`owner`, lower case) than its own. */
function inAnotherStream(b: JournalBatch, owner: string | undefined): boolean {
  return owner !== undefined && b.terminalId !== "" && owner !== b.terminalId.toLowerCase();
}

/**
 * Journals `b` confirmed as the chain holds its root: the chain's batch id and block, and the transaction of the
 * root's BatchAnchored event. Returns the terminal (lower case) whose stream holds the root, when the event is found.
 */
async function confirmAsOnChain(
  ctx: Pick<PipelineContext, "journal" | "chain">,
  b: JournalBatch,
  onChain: { batchId: bigint; blockNumber: bigint },
  detail: (owner: string | undefined) => string,
): Promise<string | undefined> {
  const [event] = await listBatches(ctx.chain.core.acquisition, { merkleRoot: b.root });
  const owner = event?.terminalId.toLowerCase();
  ctx.journal.updateBatch(
    b.batchKey,
    "confirmed",
    { txHash: event?.txHash ?? b.txHash, blockNumber: Number(onChain.blockNumber), batchId: Number(onChain.batchId) },
    detail(owner),
  );
  return owner;
}

/**
 * How deep (in blocks) a reorganisation may still move an anchor. Confirmed anchors deeper than this are checked
 * by one probe, not one call each: a gateway that has run for months would otherwise query the chain once per
 * batch it ever anchored at every restart and after every node outage.
 */
export const REORG_WINDOW_BLOCKS = 128;

/**
 * The batches to check against the chain: every signed or submitted one, every confirmed one within
 * REORG_WINDOW_BLOCKS of the head, and of the deeper confirmed ones the newest as a probe. A node that lost
 * state lost a suffix of the chain, and no reorganisation reaches that deep, so when the probe is still where the
 * journal says, every older anchor is too; when it is not, all of them are checked.
 */
async function batchesToCheck(ctx: Pick<PipelineContext, "journal" | "chain" | "provider">): Promise<JournalBatch[]> {
  const signed = ctx.journal.batches().filter((b) => b.state !== "built");
  const deepest = (await ctx.provider.getBlockNumber()) - REORG_WINDOW_BLOCKS;
  const isDeep = (b: JournalBatch) => b.state === "confirmed" && b.blockNumber !== null && b.blockNumber <= deepest;
  const deep = signed.filter(isDeep);
  if (deep.length < 2) return signed;
  const probe = deep.reduce((newest, b) => ((b.blockNumber ?? 0) > (newest.blockNumber ?? 0) ? b : newest));
  const onChain = await ctx.chain.core.acquisition.batchByRoot(probe.root);
  const inPlace = Number(onChain.blockNumber) === probe.blockNumber && Number(onChain.batchId) === probe.batchId;
  return inPlace ? signed.filter((b) => !isDeep(b)) : signed;
}

/**
 * Before continuing from a journal: every batch it has signed, submitted or confirmed is checked against the
 * chain. Mined ones are confirmed (nothing is sent again); ones the chain does not have (a lost transaction, or
 * a node restarted from older state) go back to "built" and are signed again on the current stream tip. Confirmed
 * batches a reorganisation moved (another batch id or block for the same root) are corrected, and their periods
 * reopened so their proof files are written again. A root mined in another terminal's stream (root squatting) is
 * said so, never taken silently for our own batch: its records stay provable there (by root, each with its own
 * terminal's signature), and our stream did not advance. Confirmed anchors deeper than REORG_WINDOW_BLOCKS are
 * checked by one probe (`batchesToCheck`), so the cost follows the recent anchors, not the journal's age.
 */
export async function reconcile(ctx: Pick<PipelineContext, "journal" | "chain" | "log" | "provider">): Promise<void> {
  const { journal, chain, log } = ctx;
  /** Done periods whose proof files name a batch id or block the chain no longer has. */
  const reprove = new Set<number>();
  for (const b of await batchesToCheck(ctx)) {
    const onChain = await chain.core.acquisition.batchByRoot(b.root);
    if (onChain.anchoredAt !== 0n) {
      const moved =
        b.state === "confirmed" &&
        (b.batchId !== Number(onChain.batchId) || b.blockNumber !== Number(onChain.blockNumber));
      if (moved) {
        // A reorganisation re-ordered or re-mined anchors: the root stays, its batch id and block follow the chain.
        await confirmAsOnChain(
          ctx,
          b,
          onChain,
          () =>
            `moved by a reorganisation: batch ${b.batchId} -> ${onChain.batchId}, block ${b.blockNumber} -> ${onChain.blockNumber}`,
        );
        log(
          `${b.batchKey}: now batch ${onChain.batchId} in block ${onChain.blockNumber} (was ${b.batchId}, ${b.blockNumber})`,
        );
        reprove.add(b.period);
      } else if (b.state !== "confirmed") {
        const owner = await confirmAsOnChain(ctx, b, onChain, (o) =>
          inAnotherStream(b, o)
            ? `found on-chain on resume in the stream of terminal ${o}, not ${b.terminalId}'s (root squatting)`
            : "found on-chain on resume",
        );
        log(
          inAnotherStream(b, owner)
            ? `${b.batchKey}: root already anchored as batch ${onChain.batchId} in the stream of terminal ${owner}, not ${b.terminalId}'s (another terminal anchored it first; the records stay provable there); nothing sent`
            : `${b.batchKey}: already mined as batch ${onChain.batchId}; nothing sent`,
        );
      }
      continue;
    }
    if (b.state === "confirmed")
      log(
        `${b.batchKey}: journal says confirmed but the chain has no such root (node state lost?); anchoring it again`,
      );
    journal.updateBatch(b.batchKey, "built", {}, `not on-chain at resume (was ${b.state})`);
  }
  for (const b of journal.batches()) if (b.state !== "confirmed") reprove.add(b.period);
  for (const period of reprove) if (journal.period(period)?.state === "done") journal.reopenPeriod(period);
}
