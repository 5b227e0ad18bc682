import { BaseWallet, type Signer } from "ethers";
import { FastMerkleTree, initMerkle, type GridRecord, type Hex, type PackageProof, type RecordLeaf } from "../merkle";
import { hex32ToBytes } from "../merkle/hex";
import type { CoreContracts } from "./contracts";
import { acquisitionDomain, BATCH_HEADER_TYPES, signHeader } from "./eip712";
import { anchoredInReceipt, nextHeader, type LogLike } from "./headers";
import { awaitChainTime, awaitConfirmations, type RawRpc } from "./confirmations";
import { withDecodedRevert } from "./errors";
import { PACKAGE_TYPES, packageDomain, packageHeadDigest, PackageTree, type PackageHead } from "./packages";
import { toPolicy } from "./policies";
import { listBatches, readStreamState } from "./streams";
import { TERMINAL_STATUS_NAMES, TerminalStatus, TriggerMode, type BatchHeader, type Policy } from "./types";
import { keyHeldAt } from "../terminals/signerHistory";

/** Why a batch was refused before any transaction was sent. */
export type AnchorRefusal =
  | "EMPTY_BATCH"
  | "UNKNOWN_DATA_TYPE"
  | "TOO_MANY_RECORDS"
  | "UNKNOWN_TERMINAL"
  | "TERMINAL_NOT_ACTIVE"
  | "WRONG_KEY"
  | "FOREIGN_RECORD"
  | "WINDOW_IN_FUTURE"
  | "STALE_WINDOW"
  | "WINDOW_TOO_LONG"
  | "STREAM_MISMATCH"
  | "ROOT_IN_OTHER_STREAM";

export class AnchorRefusedError extends Error {
  constructor(
    readonly code: AnchorRefusal,
    message: string,
  ) {
    super(message);
    this.name = "AnchorRefusedError";
  }
}

/** Per confirmation, how long anchorRecords waits before it gives up (slow consortium blocks included). */
export const CONFIRMATION_TIMEOUT_MS = 120_000;

/** How long a window closed by the wall clock may wait for a block that closes it on the chain. */
export const CHAIN_CLOCK_WAIT_MS = 60_000;

/** Times a batch dropped by reorganisations is sent again before anchorRecords gives up. */
const MAX_RESENDS = 5;

function isRawRpc(provider: object): provider is RawRpc {
  return typeof (provider as Partial<RawRpc>).send === "function";
}

/** The batch window a policy implies for a set of record timestamps (unix seconds). */
export function windowFor(timestamps: readonly number[], policy: Policy): { windowStart: bigint; windowEnd: bigint } {
  let min = Infinity;
  let max = -Infinity;
  for (const t of timestamps) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (policy.trigger === TriggerMode.TimeDriven) {
    const d = policy.timeScale;
    return { windowStart: BigInt(Math.floor(min / d) * d), windowEnd: BigInt((Math.floor(max / d) + 1) * d) };
  }
  return { windowStart: BigInt(min), windowEnd: BigInt(max) };
}

export interface AnchorRequest {
  core: CoreContracts;
  records: readonly GridRecord[];
  /** The stream: the terminal whose key signs the header. */
  terminalId: string;
  dataType: number;
  /**
   * The terminal's key: a Wallet signs locally; any other ethers Signer (a browser wallet, a hardware key) is
   * asked for an EIP-712 signature (eth_signTypedData_v4).
   */
  key: Signer;
  /**
   * The sequence the caller expects this batch to take (a terminal that tracks its own stream). It must be the
   * stream's next one; a replayed or skipped sequence is refused. By default the next sequence is used.
   */
  sequence?: bigint;
  /** Override the window (default: from the records and the policy). */
  window?: { windowStart: bigint; windowEnd: bigint };
  confirmations?: number;
  /** How long to wait for the confirmations (default CONFIRMATION_TIMEOUT_MS per confirmation). */
  confirmationTimeoutMs?: number;
  /** Times this batch was already sent again after a reorganisation dropped it (internal). */
  resends?: number;
  /** Chain time to check the window against (default: the latest block's timestamp). */
  now?: number;
}

export interface AnchorOutcome {
  status: "anchored" | "already-anchored";
  batchId: bigint;
  txHash?: string;
  blockNumber: number;
  header?: BatchHeader;
  tree: FastMerkleTree<RecordLeaf>;
  /** Per record (input order): the terminal package signature its proof carries. */
  packages: PackageProof[];
  chainId: bigint;
  contract: string;
}

/**
 * Signs the records as one terminal package (the same EIP-712 package terminals send the gateway) so each record's
 * proof shows that its own terminal signed it. Every record must be the signing terminal's, and the key must be the
 * one the terminal held at each record's time (registry signer history): DataAcquisition.verifySignedRecord checks
 * exactly that, so a record that would not verify is refused here, before anything is sent.
 */
async function signRecordsPackage(
  core: CoreContracts,
  records: readonly GridRecord[],
  tree: FastMerkleTree<RecordLeaf>,
  terminalId: string,
  key: Signer,
  periodStart: number,
  chainId: bigint,
): Promise<PackageProof[]> {
  const foreign = records.findIndex((r) => r.terminalId.toLowerCase() !== terminalId.toLowerCase());
  if (foreign >= 0) {
    throw new AnchorRefusedError(
      "FOREIGN_RECORD",
      `record ${foreign} names terminal ${records[foreign].terminalId}, but the batch is signed with terminal ${terminalId}'s key: a record is anchored only with its own terminal's signature`,
    );
  }
  const keyAddress = (await key.getAddress()).toLowerCase();
  const history = await core.registry.signerHistory(terminalId);
  const heldAt = (t: number) => keyHeldAt(history, t);
  const wrong = records.findIndex((r) => heldAt(r.timestamp)?.toLowerCase() !== keyAddress);
  if (wrong >= 0) {
    const t = records[wrong].timestamp;
    throw new AnchorRefusedError(
      "WRONG_KEY",
      `record ${wrong} (time ${new Date(t * 1000).toISOString()}) must be signed with the key terminal ${terminalId} held then, ${heldAt(t) ?? "none"}, not ${keyAddress}`,
    );
  }
  const leafHashes = new Uint8Array(32 * records.length);
  records.forEach((_, i) => leafHashes.set(hex32ToBytes(tree.leafHash(i), "leafHash"), 32 * i));
  const packageTree = new PackageTree(leafHashes);
  const head: PackageHead = { terminalId, periodStart, recordCount: records.length, recordsRoot: packageTree.root };
  const signature =
    key instanceof BaseWallet
      ? key.signingKey.sign(packageHeadDigest(chainId, head)).serialized
      : await key.signTypedData(packageDomain(chainId), PACKAGE_TYPES, { ...head });
  return records.map((_, i) => ({
    chainId: Number(chainId),
    terminalId: terminalId.toLowerCase() as Hex,
    periodStart,
    recordCount: records.length,
    recordsRoot: head.recordsRoot as Hex,
    signature: signature as Hex,
    proof: packageTree.proof(i) as Hex[],
  }));
}

/**
 * A root is anchored once, in one stream. When it is already on-chain, it only counts as this batch if the
 * stream that anchored it is `terminalId`'s; another terminal may have copied the root from a pending header
 * (root squatting). The anchoring stream comes from the root's BatchAnchored event.
 */
async function checkRootOwner(core: CoreContracts, root: string, terminalId: string, blockNumber: bigint) {
  const block = Number(blockNumber);
  const [event] = await listBatches(core.acquisition, { merkleRoot: root, fromBlock: block, toBlock: block });
  if (event && event.terminalId.toLowerCase() === terminalId.toLowerCase()) return;
  throw new AnchorRefusedError(
    "ROOT_IN_OTHER_STREAM",
    `root ${root} is already anchored as batch ${event?.batchId ?? "?"} in the stream of terminal ${event?.terminalId ?? "?"} (block ${block}), not in ${terminalId}'s: another terminal anchored these records first (they stay provable there); if it copied your pending header, suspend it with grid:terminal:suspend`,
  );
}

/**
 * Builds the batch tree, checks everything the contract would check (policy, terminal, key, window, stream)
 * and only then signs and sends `anchorBatch`. Every refusal is an AnchorRefusedError with a plain message and
 * no transaction. A batch whose root is already on-chain is reported as "already-anchored", not re-sent.
 */
export async function anchorRecords(req: AnchorRequest): Promise<AnchorOutcome> {
  const { core, records, terminalId, dataType, key } = req;
  if (records.length === 0) throw new AnchorRefusedError("EMPTY_BATCH", "no records to anchor");
  if (req.confirmations !== undefined && !(Number.isInteger(req.confirmations) && req.confirmations >= 1))
    throw new Error(`confirmations must be a whole number of blocks >= 1, got ${req.confirmations}`);
  await initMerkle();
  const tree = FastMerkleTree.ofRecords(records);
  const provider = core.acquisition.runner?.provider;
  if (!provider) throw new Error("anchorRecords: the contracts are not connected to a provider");
  const chainId = (await provider.getNetwork()).chainId;
  const contract = await core.acquisition.getAddress();
  const minTime = records.reduce((m, r) => Math.min(m, r.timestamp), Infinity);
  const periodStart = Number(req.window?.windowStart ?? BigInt(minTime));
  const signPackage = () => signRecordsPackage(core, records, tree, terminalId, key, periodStart, chainId);

  const existing = await core.acquisition.batchByRoot(tree.root);
  if (existing.anchoredAt !== 0n) {
    await checkRootOwner(core, tree.root, terminalId, existing.blockNumber);
    const packages = await signPackage();
    return {
      status: "already-anchored",
      batchId: existing.batchId,
      blockNumber: Number(existing.blockNumber),
      tree,
      packages,
      chainId,
      contract,
    };
  }

  const policy = toPolicy(await core.acquisition.policyOf(dataType));
  if (!policy.enabled) {
    throw new AnchorRefusedError(
      "UNKNOWN_DATA_TYPE",
      `data type ${dataType} has no enabled policy: set one with grid:policy:set`,
    );
  }
  if (records.length > policy.maxRecords) {
    throw new AnchorRefusedError(
      "TOO_MANY_RECORDS",
      `${records.length} records exceed the policy's ${policy.maxRecords} per batch for data type ${dataType}`,
    );
  }

  const [signer, status] = await core.registry.signerAndStatus(terminalId);
  if (Number(status) === TerminalStatus.Unregistered)
    throw new AnchorRefusedError("UNKNOWN_TERMINAL", `terminal ${terminalId} is not registered`);
  if (Number(status) !== TerminalStatus.Active) {
    throw new AnchorRefusedError(
      "TERMINAL_NOT_ACTIVE",
      `terminal ${terminalId} is ${TERMINAL_STATUS_NAMES[Number(status)]}, not Active`,
    );
  }
  const keyAddress = await key.getAddress();
  if (signer.toLowerCase() !== keyAddress.toLowerCase()) {
    throw new AnchorRefusedError(
      "WRONG_KEY",
      `terminal ${terminalId} signs with ${signer}, but the key given is ${keyAddress}`,
    );
  }

  const { windowStart, windowEnd } =
    req.window ??
    windowFor(
      records.map((r) => r.timestamp),
      policy,
    );
  if (
    policy.trigger === TriggerMode.EventDriven &&
    policy.timeScale > 0 &&
    windowEnd - windowStart > BigInt(policy.timeScale)
  ) {
    throw new AnchorRefusedError(
      "WINDOW_TOO_LONG",
      `records span ${windowEnd - windowStart} s, more than the event window of ${policy.timeScale} s: split the file`,
    );
  }
  let now = BigInt(req.now ?? (await provider.getBlock("latest"))!.timestamp);
  const wallClock = BigInt(Math.floor(Date.now() / 1000));
  if (req.now === undefined && windowEnd > now + 1n && windowEnd <= wallClock + 1n && isRawRpc(provider)) {
    // Closed by the wall clock, not yet by the chain's latest block (slow blocks): wait for the next one.
    now = BigInt(await awaitChainTime(provider, Number(windowEnd) - 1, CHAIN_CLOCK_WAIT_MS));
  }
  if (windowEnd > now + 1n) {
    throw new AnchorRefusedError(
      "WINDOW_IN_FUTURE",
      `the batch window ends at ${iso(windowEnd)}, after chain time ${iso(now)}: anchor once it has closed`,
    );
  }
  // Past the plain tolerance, the contract still accepts a window whose time ran out during a pause.
  if (now - windowEnd > BigInt(policy.tolerance)) {
    const deadline = await core.acquisition.anchorDeadline(dataType, windowEnd);
    if (now > deadline) {
      throw new AnchorRefusedError(
        "STALE_WINDOW",
        `the batch window ended at ${iso(windowEnd)}, ${now - windowEnd} s before chain time ${iso(now)}; data type ${dataType} accepts at most ${policy.tolerance} s (plus the time anchoring was paused since: deadline ${iso(deadline)})`,
      );
    }
  }

  const stream = await readStreamState(core.acquisition, terminalId);
  if (req.sequence !== undefined && req.sequence !== stream.sequence + 1n) {
    const what = req.sequence <= stream.sequence ? "replays" : "skips ahead of";
    throw new AnchorRefusedError(
      "STREAM_MISMATCH",
      `sequence ${req.sequence} ${what} stream ${terminalId}, which is at sequence ${stream.sequence} (next is ${stream.sequence + 1n})`,
    );
  }
  const { header } = nextHeader(stream, {
    dataType,
    terminalId,
    windowStart,
    windowEnd,
    recordCount: records.length,
    merkleRoot: tree.root,
  });
  if (!(await core.acquisition.extendsStream(terminalId, header.sequence, header.prevHeaderHash))) {
    throw new AnchorRefusedError(
      "STREAM_MISMATCH",
      `sequence ${header.sequence} with previous hash ${header.prevHeaderHash} does not extend stream ${terminalId} (replayed or out-of-order sequence)`,
    );
  }

  // Last of the checks: the records' own signatures (their terminal and its key at each record's time).
  const packages = await signPackage();
  const domain = acquisitionDomain(chainId, contract);
  const signature =
    key instanceof BaseWallet
      ? signHeader(key.privateKey, domain, header)
      : await key.signTypedData(domain, BATCH_HEADER_TYPES, { ...header });
  const context = `anchorBatch(terminal ${terminalId}, sequence ${header.sequence})`;
  // Simulated on the pending block, the one the transaction goes into: on a chain that mines on demand the latest
  // block can be seconds older, and a window the wall clock has closed would still be open at its time.
  await withDecodedRevert(context, () =>
    core.acquisition.anchorBatch.staticCall(header, signature, { blockTag: "pending" }),
  );
  const tx = await withDecodedRevert(context, () => core.acquisition.anchorBatch(header, signature));
  const confirmations = req.confirmations ?? 1;
  let receipt: { blockNumber: number; status: number | null; logs: readonly LogLike[] } | null;
  if (isRawRpc(provider)) {
    const outcome = await awaitConfirmations(provider, tx.hash, confirmations, {
      timeoutMs: req.confirmationTimeoutMs ?? CONFIRMATION_TIMEOUT_MS * confirmations,
    });
    if (outcome.kind === "dropped") {
      // The stream is back where the chain has it: check everything again and sign on the chain's tip.
      const resends = req.resends ?? 0;
      if (resends >= MAX_RESENDS)
        throw new Error(`${context}: dropped by reorganisations ${resends + 1} times; the chain is not settling`);
      return anchorRecords({ ...req, resends: resends + 1 });
    }
    receipt = outcome.receipt;
  } else {
    receipt = await tx.wait(confirmations);
  }
  if (!receipt || receipt.status !== 1) throw new Error(`${context}: transaction ${tx.hash} failed`);
  const event = anchoredInReceipt(core.acquisition.interface, receipt).get(tree.root.toLowerCase());
  if (!event) throw new Error(`${context}: no BatchAnchored event for root ${tree.root} in ${tx.hash}`);
  return {
    status: "anchored",
    batchId: event.batchId,
    txHash: tx.hash,
    blockNumber: receipt.blockNumber,
    header,
    tree,
    packages,
    chainId,
    contract,
  };
}

function iso(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
