import type { Interface, Log, TransactionReceipt } from "ethers";
import { hashHeader } from "./eip712";
import type { StreamState } from "./streams";
import type { BatchHeader } from "./types";

/** What a batch header says about its batch; the stream fields come from the stream's tip. */
export interface HeaderFields {
  dataType: number;
  terminalId: string;
  windowStart: bigint;
  windowEnd: bigint;
  recordCount: number;
  merkleRoot: string;
}

/**
 * The header that extends `tip` with one batch, and the tip after it. Every anchoring path (the anchor task,
 * the pipeline and gateway stages, the chain benchmark) builds its headers here, so the stream rule
 * (sequence + 1, previous header hash) lives in one place.
 */
export function nextHeader(tip: StreamState, fields: HeaderFields): { header: BatchHeader; next: StreamState } {
  const header: BatchHeader = {
    dataType: fields.dataType,
    terminalId: fields.terminalId,
    sequence: tip.sequence + 1n,
    windowStart: fields.windowStart,
    windowEnd: fields.windowEnd,
    recordCount: fields.recordCount,
    merkleRoot: fields.merkleRoot,
    prevHeaderHash: tip.headerHash,
  };
  return { header, next: { sequence: header.sequence, headerHash: hashHeader(header) } };
}

/** A log's topics and data, as a raw JSON-RPC receipt carries them. */
export interface LogLike {
  topics: readonly string[];
  data: string;
}

/** One BatchAnchored event of a receipt. */
export interface AnchoredEvent {
  batchId: bigint;
  terminalId: string;
  merkleRoot: string;
  sequence: bigint;
  headerHash: string;
}

/**
 * The BatchAnchored events of a receipt, keyed by lower-case Merkle root (a receipt of a multicall carries
 * several). Logs of other contracts or events are skipped.
 */
export function anchoredInReceipt(
  acquisition: Interface,
  receipt: Pick<TransactionReceipt, "logs"> | { logs: readonly Log[] } | { logs: readonly LogLike[] },
): Map<string, AnchoredEvent> {
  const out = new Map<string, AnchoredEvent>();
  for (const log of receipt.logs) {
    let parsed;
    try {
      parsed = acquisition.parseLog(log);
    } catch {
      continue; // another contract's event with a colliding topic count
    }
    if (parsed?.name !== "BatchAnchored") continue;
    const merkleRoot = (parsed.args.merkleRoot as string).toLowerCase();
    out.set(merkleRoot, {
      batchId: parsed.args.batchId as bigint,
      terminalId: parsed.args.terminalId as string,
      merkleRoot,
      sequence: parsed.args.sequence as bigint,
      headerHash: parsed.args.headerHash as string,
    });
  }
  return out;
}

/** JSON text of a header (bigints as decimal strings), as journals and proof files keep it. */
export function headerToJson(h: BatchHeader): string {
  return JSON.stringify(h, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The header back from `headerToJson`. */
export function headerFromJson(text: string): BatchHeader {
  const h = JSON.parse(text) as Record<string, string | number>;
  return {
    dataType: Number(h.dataType),
    terminalId: String(h.terminalId),
    sequence: BigInt(h.sequence),
    windowStart: BigInt(h.windowStart),
    windowEnd: BigInt(h.windowEnd),
    recordCount: Number(h.recordCount),
    merkleRoot: String(h.merkleRoot),
    prevHeaderHash: String(h.prevHeaderHash),
  };
}
