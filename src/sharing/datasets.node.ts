/**
 * Sharing workflows over DataSharing: register a dataset, select its records, share it as a sealed bundle, receive
 * and verify one, and the grant transactions. Node only: it writes bundles and received records to files.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isAddress } from "ethers";
import { checkRecordProof, initMerkle, parseRecordProof, type GridRecord, type RecordProof } from "../merkle";
import {
  bundleCiphertextHash,
  openBundle,
  parseBundleJson,
  parsePublicKey,
  publicKeyOfPrivateKey,
  sealBundle,
  SharingError,
  type Bundle,
  type ReceiverKey,
} from "./index.node";
import type { CoreContracts, DataSharing, GovernanceContracts } from "../chain/contracts";
import { sendChecked, withDecodedRevert } from "../chain/errors";
import { BATCH_PROOFS_FORMAT, writeBatchProofs } from "../chain/proofs.node";
import { listBatches } from "../chain/streams";
import { leafStruct } from "../chain/verify";
import { DATASET_KIND_NAMES, type DatasetKindName } from "../chain/types";

/** A dataset as registered in DataSharing. */
export interface DatasetInfo {
  id: bigint;
  provider: string;
  kind: DatasetKindName;
  registeredAt: number;
  /** Stream datasets: the terminal and record range [fromTime, toTime). */
  terminalId: string;
  fromTime: number;
  toTime: number;
  /** Batches datasets: the batches' Merkle roots (lowercase), increasing. Roots, not ids: a reorg can swap ids. */
  merkleRoots: string[];
  metadataURI: string;
}

/** Reads a dataset; an unknown id is a clear error. */
export async function readDataset(sharing: DataSharing, id: bigint): Promise<DatasetInfo> {
  const count = await sharing.datasetCount();
  if (id < 1n || id > count) {
    throw new Error(`dataset ${id} is not registered (this DataSharing has ${count} dataset(s))`);
  }
  const d = await sharing.getDataset(id);
  return {
    id,
    provider: d.provider,
    kind: DATASET_KIND_NAMES[Number(d.kind)],
    registeredAt: Number(d.registeredAt),
    terminalId: d.terminalId,
    fromTime: Number(d.fromTime),
    toTime: Number(d.toTime),
    merkleRoots: d.merkleRoots.map((r) => r.toLowerCase()),
    metadataURI: d.metadataURI,
  };
}

/** What a new dataset selects: explicit batches, or a terminal's stream over a record time range. */
export type DatasetSpec = { merkleRoots: string[] } | { terminalId: string; fromTime: number; toTime: number };

async function signerAddress(contract: { runner: unknown }): Promise<string> {
  const runner = contract.runner as { getAddress?: () => Promise<string> } | null;
  if (!runner?.getAddress) throw new Error("the contract is not connected to a signer");
  return runner.getAddress();
}

/** Refuses, before any transaction, a caller that is not a certified provider. */
async function requireProvider(sharing: DataSharing, who: string): Promise<void> {
  if (!(await sharing.hasRole(await sharing.PROVIDER_ROLE(), who))) {
    throw new Error(
      `${who} is not a certified provider (PROVIDER_ROLE): the DataSharing admin runs grid:provider:certify`,
    );
  }
}

/** Registers a dataset as the connected signer; batch roots are sorted (as numbers) and de-duplicated first. */
export async function registerDataset(
  sharing: DataSharing,
  spec: DatasetSpec,
  metadataURI = "",
): Promise<{ datasetId: bigint; txHash: string }> {
  await requireProvider(sharing, await signerAddress(sharing));
  let sent;
  if ("merkleRoots" in spec) {
    const roots = [...new Set(spec.merkleRoots.map((r) => r.toLowerCase()))].sort(); // equal-length hex: sorts as numbers
    sent = await sendChecked("register dataset", sharing.registerBatchDataset, roots, metadataURI);
  } else {
    sent = await sendChecked(
      "register dataset",
      sharing.registerStreamDataset,
      spec.terminalId,
      spec.fromTime,
      spec.toTime,
      metadataURI,
    );
  }
  const event = sent.receipt.logs
    .map((log) => sharing.interface.parseLog(log))
    .find((p) => p?.name === "BatchDatasetRegistered" || p?.name === "StreamDatasetRegistered");
  return { datasetId: event!.args.datasetId as bigint, txHash: sent.tx.hash };
}

/** Parses a dataset id given as a decimal number. */
export function parseDatasetId(input: string | number | bigint): bigint {
  const s = String(input).trim();
  if (!/^[1-9]\d*$/.test(s)) throw new Error(`dataset id must be a positive whole number, got "${input}"`);
  return BigInt(s);
}

// ---------------------------------------------------------------- selecting a dataset's records

/** The records of a dataset, as record proofs, and the anchored batches they come from. */
export interface DatasetRecords {
  entries: RecordProof[];
  batches: { batchId: string; root: string }[];
}

/**
 * Picks a dataset's records out of proofs files (as grid:anchor writes them) and checks each proof locally. Every
 * batch the dataset covers must be present: a Batches dataset's listed batches; for a Stream dataset, every batch
 * of its terminal whose window overlaps the range (records outside the range are left out).
 */
export async function selectDatasetRecords(
  core: CoreContracts,
  dataset: DatasetInfo,
  proofs: readonly RecordProof[],
): Promise<DatasetRecords> {
  await initMerkle();
  const byRoot = new Map<string, RecordProof[]>();
  for (const p of proofs) {
    const root = p.root.toLowerCase();
    if (!byRoot.has(root)) byRoot.set(root, []);
    byRoot.get(root)!.push(p);
  }
  const batchOfRoot = new Map<string, bigint>();
  for (const root of byRoot.keys()) {
    const stored = await core.acquisition.batchByRoot(root);
    if (stored.anchoredAt === 0n)
      throw new Error(`proofs for root ${root} are given, but it is not anchored on this chain`);
    batchOfRoot.set(root, stored.batchId);
  }

  let wanted: Set<string>;
  let inRange: (p: RecordProof) => boolean = () => true;
  if (dataset.kind === "Batches") {
    wanted = new Set(dataset.merkleRoots);
  } else {
    const stream = await listBatches(core.acquisition, { terminalId: dataset.terminalId });
    wanted = new Set(
      stream
        .filter((b) => Number(b.windowEnd) >= dataset.fromTime && Number(b.windowStart) < dataset.toTime)
        .map((b) => b.merkleRoot.toLowerCase()),
    );
    inRange = (p) => p.record.timestamp >= dataset.fromTime && p.record.timestamp < dataset.toTime;
  }
  const missing = [...wanted].filter((root) => !batchOfRoot.has(root));
  if (missing.length > 0) {
    throw new Error(
      `dataset ${dataset.id} covers batch root(s) ${missing.join(", ")}, but no proofs file given holds them: pass every batch's <file>.proofs.json`,
    );
  }

  const entries: RecordProof[] = [];
  const seen = new Set<string>();
  const batches: DatasetRecords["batches"] = [];
  for (const [root, list] of byRoot) {
    const batchId = batchOfRoot.get(root)!;
    if (!wanted.has(root)) continue;
    let used = false;
    for (const p of list) {
      if (!inRange(p) || seen.has(p.leafHash.toLowerCase())) continue;
      const problems = checkRecordProof(p);
      if (problems.length > 0) {
        throw new Error(`record of terminal ${p.record.terminalId} at ${p.record.timestamp}: ${problems.join("; ")}`);
      }
      seen.add(p.leafHash.toLowerCase());
      entries.push(p);
      used = true;
    }
    if (used) batches.push({ batchId: batchId.toString(), root });
  }
  if (entries.length === 0) throw new Error(`the proofs given hold no record of dataset ${dataset.id}`);
  batches.sort((a, b) => Number(BigInt(a.batchId) - BigInt(b.batchId)));
  return { entries, batches };
}

// ---------------------------------------------------------------- receivers and expiries

/**
 * Public keys receivers published with requestAccess (AccessRequested events), by lowercase address. The contract
 * checked each key against its sender, so an address found here resolves to a key safely.
 */
export async function requestedPublicKeys(sharing: DataSharing): Promise<Map<string, ReceiverKey>> {
  const events = await sharing.queryFilter(sharing.filters.AccessRequested(), 0);
  const keys = new Map<string, ReceiverKey>();
  for (const e of events) {
    const key = parsePublicKey(`0x04${e.args.publicKey.slice(2)}`);
    keys.set(key.address.toLowerCase(), key);
  }
  return keys;
}

const DURATION = /^\+?(\d+)\s*(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** A time in unix seconds from "2026-12-31" or "2026-12-31T18:00:00Z" (UTC when no zone is given) or unix seconds. */
export function parseTime(input: string): number {
  const s = input.trim();
  if (/^\d{9,}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.test(s)) {
    // A bare date or a time without a zone is read as UTC, so the result does not depend on the machine.
    const iso = s.length === 10 ? `${s}T00:00:00Z` : /Z|[+-]\d{2}:\d{2}$/.test(s) ? s : `${s}Z`;
    const ms = Date.parse(iso.replace(" ", "T"));
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw new Error(`expected a date (2026-12-31 or 2026-12-31T18:00:00Z, UTC) or unix seconds, got "${input}"`);
}

/** An expiry in unix seconds: a time as parseTime reads it, or a duration from chain time ("30d", "+12h", "90m"). */
export function parseExpiry(input: string, chainNow: number): number {
  const duration = DURATION.exec(input.trim());
  if (duration) return chainNow + Number(duration[1]) * UNIT_SECONDS[duration[2]];
  try {
    return parseTime(input);
  } catch {
    throw new Error(
      `--expiry must be a date (2026-12-31 or 2026-12-31T18:00:00Z, UTC), unix seconds, or a duration such as 30d, 12h, 90m; got "${input}"`,
    );
  }
}

export function iso(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

// ---------------------------------------------------------------- provider: share

export interface ShareRequest {
  core: CoreContracts;
  governance: GovernanceContracts;
  datasetId: bigint;
  receiver: ReceiverKey;
  /** Unix seconds; must be after the chain's latest block. */
  expiresAt: number;
  proofs: readonly RecordProof[];
  /** Where to write the bundle (JSON). */
  out: string;
  /** Log the delivery on-chain once the bundle file is written (default true). */
  recordDelivery?: boolean;
}

export interface ShareOutcome {
  bundle: Bundle;
  dataset: DatasetInfo;
  recordCount: number;
  grantTx: string;
  deliveryTx?: string;
}

/**
 * Writes the bundle next to `out` under a temporary name and reads it back: it must parse and hash to the
 * ciphertext hash the grant will record. Returns the temporary path (renamed to `out` once the grant is mined).
 */
function stageBundle(out: string, bundle: Bundle): string {
  let isDir = false;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    // Not there yet: written below.
  }
  if (isDir)
    throw new Error(`--out ${out} is a folder: give the bundle's file path (for example ${join(out, "bundle.json")})`);
  mkdirSync(dirname(out), { recursive: true });
  const staged = `${out}.${process.pid}.partial`;
  try {
    writeFileSync(staged, `${JSON.stringify(bundle, null, 1)}\n`);
    const back = parseBundleJson(readFileSync(staged, "utf8"), staged);
    if (bundleCiphertextHash(back) !== bundle.ciphertextHash)
      throw new Error(`${staged}: the written bundle does not hash to ${bundle.ciphertextHash}`);
  } catch (e) {
    rmSync(staged, { force: true });
    throw new Error(`cannot write the bundle ${out} (nothing was sent): ${(e as Error).message}`, { cause: e });
  }
  return staged;
}

/**
 * The provider's side of grid:share: selects the dataset's records from proofs files, encrypts them for the
 * receiver (records plus their Merkle proofs, so the receiver can verify each one), writes and checks the bundle
 * file, records the grant on-chain with the ciphertext hash, then logs the delivery. Refusals, and a bundle that
 * cannot be written, come before any transaction.
 */
export async function shareDataset(req: ShareRequest): Promise<ShareOutcome> {
  const { sharing } = req.governance;
  const me = await signerAddress(sharing);
  const dataset = await readDataset(sharing, req.datasetId);
  if (dataset.provider.toLowerCase() !== me.toLowerCase()) {
    throw new Error(
      `dataset ${dataset.id} is provided by ${dataset.provider}: only its provider can share it, not ${me}`,
    );
  }
  await requireProvider(sharing, me);
  const provider = sharing.runner!.provider!;
  const now = (await provider.getBlock("latest"))!.timestamp;
  if (req.expiresAt <= now) {
    throw new Error(`the expiry ${iso(req.expiresAt)} is not after chain time ${iso(now)}`);
  }
  const { entries, batches } = await selectDatasetRecords(req.core, dataset, req.proofs);
  const chainId = Number((await provider.getNetwork()).chainId);
  const attributes: Record<string, string> = { datasetKind: dataset.kind, provider: dataset.provider };
  if (dataset.metadataURI) attributes.metadataURI = dataset.metadataURI;
  if (dataset.kind === "Stream") {
    Object.assign(attributes, {
      terminal: dataset.terminalId,
      from: iso(dataset.fromTime),
      to: iso(dataset.toTime),
    });
  }
  const bundle = sealBundle({
    datasetId: dataset.id.toString(),
    records: entries,
    receiverPublicKey: req.receiver,
    batches,
    chainId,
    contract: await sharing.getAddress(),
    attributes,
  });
  // A grant replaces the receiver's current one, so it is sent only once the bundle it names is safely on disk.
  const staged = stageBundle(req.out, bundle);
  let grant: Awaited<ReturnType<typeof sendChecked>>;
  try {
    grant = await sendChecked(
      `grant dataset ${dataset.id} to ${req.receiver.address}`,
      sharing.grantAccess,
      dataset.id,
      req.receiver.address,
      req.expiresAt,
      bundle.ciphertextHash,
    );
  } catch (e) {
    rmSync(staged, { force: true });
    throw e;
  }
  try {
    renameSync(staged, req.out);
  } catch (e) {
    // Same folder, so this only fails if the folder changed meanwhile; the checked bundle is still on disk.
    throw new Error(
      `the grant is mined (tx ${grant.tx.hash}) but ${staged} could not be renamed to ${req.out}: ${(e as Error).message}; the bundle to deliver is ${staged}`,
      { cause: e },
    );
  }
  let deliveryTx: string | undefined;
  if (req.recordDelivery ?? true) {
    const delivered = await sendChecked(
      `record delivery of dataset ${dataset.id}`,
      sharing.recordDelivery,
      dataset.id,
      req.receiver.address,
      bundle.ciphertextHash,
    );
    deliveryTx = delivered.tx.hash;
  }
  return { bundle, dataset, recordCount: entries.length, grantTx: grant.tx.hash, deliveryTx };
}

// ---------------------------------------------------------------- receiver: receive

/** Why a receiver was refused before decrypting. */
export type AccessRefusal = "WRONG_CHAIN" | "NO_GRANT" | "REVOKED" | "EXPIRED";

export class AccessRefusedError extends Error {
  constructor(
    readonly code: AccessRefusal,
    message: string,
  ) {
    super(message);
    this.name = "AccessRefusedError";
  }
}

/** Some decrypted records failed their Merkle or dataset checks; nothing is written. */
export class RecordVerificationError extends Error {
  constructor(
    readonly failures: string[],
    total: number,
  ) {
    const shown = failures.slice(0, 5).join("; ");
    const more = failures.length > 5 ? `; and ${failures.length - 5} more` : "";
    super(`${failures.length} of ${total} record(s) failed verification: ${shown}${more}`);
    this.name = "RecordVerificationError";
  }
}

export interface ReceiveRequest {
  core: CoreContracts;
  governance: GovernanceContracts;
  bundle: Bundle;
  /** The receiver's 32-byte private key. */
  privateKey: Uint8Array;
}

export interface Received {
  dataset: DatasetInfo;
  receiver: string;
  expiresAt: number;
  ciphertextHash: string;
  records: GridRecord[];
  proofs: RecordProof[];
  batches: { batchId: bigint; root: string; proofs: RecordProof[] }[];
}

/** Records are proven against the chain this many at a time. */
const VERIFY_CONCURRENCY = 32;

/**
 * The receiver's side of grid:receive: checks the key is the bundle's receiver, the bundle's chain and contract,
 * and the on-chain grant (refusing an expired, revoked or missing one), decrypts against the granted ciphertext
 * hash, then proves every record: its proof file is consistent, its root is one of the bundle's batches, anchored
 * on-chain as that batch, inside the dataset, and DataAcquisition.verifyRecord accepts it.
 */
export async function receiveBundle(req: ReceiveRequest): Promise<Received> {
  const { bundle } = req;
  const { sharing } = req.governance;
  const me = publicKeyOfPrivateKey(req.privateKey);
  if (me.address.toLowerCase() !== bundle.receiver.address.toLowerCase()) {
    throw new SharingError(
      "WRONG_KEY",
      `this bundle is for ${bundle.receiver.address}, and the key given is ${me.address}'s: it cannot decrypt it`,
    );
  }
  const provider = sharing.runner!.provider!;
  const chainId = Number((await provider.getNetwork()).chainId);
  const contract = await sharing.getAddress();
  const { metadata } = bundle;
  if (
    (metadata.chainId !== undefined && metadata.chainId !== chainId) ||
    (metadata.contract !== undefined && metadata.contract.toLowerCase() !== contract.toLowerCase())
  ) {
    throw new AccessRefusedError(
      "WRONG_CHAIN",
      `the bundle's grant lives on chain ${metadata.chainId} in DataSharing ${metadata.contract}, but this network is chain ${chainId} with DataSharing ${contract}`,
    );
  }
  const datasetId = parseDatasetId(bundle.datasetId);
  const dataset = await readDataset(sharing, datasetId);
  const grant = await sharing.grantOf(datasetId, me.address);
  const now = (await provider.getBlock("latest"))!.timestamp;
  const who = `${me.address} on dataset ${datasetId}`;
  if (grant.grantedAt === 0n) {
    throw new AccessRefusedError("NO_GRANT", `refused: ${who} has no grant from the provider ${dataset.provider}`);
  }
  if (grant.revokedAt !== 0n) {
    throw new AccessRefusedError(
      "REVOKED",
      `refused: the provider revoked the access of ${who} at ${iso(grant.revokedAt)}`,
    );
  }
  if (BigInt(now) >= grant.expiresAt) {
    throw new AccessRefusedError(
      "EXPIRED",
      `refused: the access of ${who} expired at ${iso(grant.expiresAt)} (chain time ${iso(now)})`,
    );
  }

  const opened = openBundle(bundle, req.privateKey, { expectedCiphertextHash: grant.ciphertextHash });
  await initMerkle();
  const failures: string[] = [];
  const proofs: RecordProof[] = [];
  opened.records.forEach((raw, i) => {
    try {
      proofs.push(parseRecordProof(raw, `record ${i}`));
    } catch (e) {
      failures.push(`record ${i}: malformed (${(e as Error).message})`);
    }
  });
  if (failures.length > 0) throw new RecordVerificationError(failures, opened.records.length);

  // Batches are matched by root; the bundle's batch ids are a convenience (a reorg may have renumbered them).
  const declared = new Map(metadata.batches.map((b) => [b.root.toLowerCase(), BigInt(b.batchId)]));
  const onChain = new Map<string, bigint | undefined>();
  for (const root of declared.keys()) {
    const stored = await req.core.acquisition.batchByRoot(root);
    onChain.set(root, stored.anchoredAt !== 0n ? stored.batchId : undefined);
  }
  const streamRoots =
    dataset.kind === "Stream"
      ? new Set(
          (await listBatches(req.core.acquisition, { terminalId: dataset.terminalId })).map((b) =>
            b.merkleRoot.toLowerCase(),
          ),
        )
      : undefined;
  const inDataset = (root: string) => (streamRoots ? streamRoots.has(root) : dataset.merkleRoots.includes(root));

  const describe = (p: RecordProof, i: number) =>
    `record ${i} (terminal ${p.record.terminalId.slice(0, 10)}…, t=${p.record.timestamp})`;
  const checks = proofs.map((p, i) => async () => {
    const problems = checkRecordProof(p);
    if (problems.length > 0) return `${describe(p, i)}: TAMPERED: ${problems.join("; ")}`;
    const root = p.root.toLowerCase();
    if (!declared.has(root)) return `${describe(p, i)}: its root ${p.root} is not one of the bundle's batches`;
    const batchId = onChain.get(root);
    if (batchId === undefined) return `${describe(p, i)}: root ${p.root} is not anchored on-chain`;
    if (!inDataset(root)) return `${describe(p, i)}: batch ${p.root} is not part of dataset ${datasetId}`;
    if (streamRoots && (p.record.timestamp < dataset.fromTime || p.record.timestamp >= dataset.toTime)) {
      return `${describe(p, i)}: outside the dataset's range [${iso(dataset.fromTime)}, ${iso(dataset.toTime)})`;
    }
    const ok = await withDecodedRevert("verifyRecord", () =>
      req.core.acquisition.verifyRecord(p.root, p.proof, leafStruct(p.leaf)),
    );
    return ok ? undefined : `${describe(p, i)}: the contract rejects its proof for root ${p.root} (batch ${batchId})`;
  });
  for (let i = 0; i < checks.length; i += VERIFY_CONCURRENCY) {
    const results = await Promise.all(checks.slice(i, i + VERIFY_CONCURRENCY).map((c) => c()));
    for (const r of results) if (r) failures.push(r);
  }
  if (failures.length > 0) throw new RecordVerificationError(failures, proofs.length);

  const batches = metadata.batches.map((b) => ({
    batchId: BigInt(b.batchId),
    root: b.root,
    proofs: proofs.filter((p) => p.root.toLowerCase() === b.root.toLowerCase()),
  }));
  return {
    dataset,
    receiver: me.address,
    expiresAt: Number(grant.expiresAt),
    ciphertextHash: opened.ciphertextHash,
    records: proofs.map((p) => p.record),
    proofs,
    batches,
  };
}

/**
 * Writes what a receiver got: `records.json` (the records, in the provider's order, exactly as decrypted) and one
 * `batch-<id>.proofs.json` per batch (the grid:anchor proofs format, so grid:verify re-checks any record later).
 */
export function writeReceived(dir: string, received: Received): { records: string; proofs: string[] } {
  mkdirSync(dir, { recursive: true });
  const records = join(dir, "records.json");
  writeFileSync(records, `${JSON.stringify(received.records, null, 1)}\n`);
  const proofs: string[] = [];
  for (const b of received.batches) {
    const file = join(dir, `batch-${b.batchId}.proofs.json`);
    writeBatchProofs(file, {
      format: BATCH_PROOFS_FORMAT,
      root: b.root,
      batch: b.proofs[0]?.batch ?? {},
      proofs: b.proofs,
    });
    proofs.push(file);
  }
  return { records, proofs };
}

/** Logs on-chain, as the receiver, that the bundle was decrypted and verified. */
export async function acknowledgeReceipt(sharing: DataSharing, datasetId: bigint, ciphertextHash: string) {
  const { tx } = await sendChecked(
    `acknowledge dataset ${datasetId}`,
    sharing.acknowledgeReceipt,
    datasetId,
    ciphertextHash,
  );
  return tx.hash;
}

/** Publishes a request for access with the caller's public key (from its private key). */
export async function requestAccess(sharing: DataSharing, datasetId: bigint, privateKey: Uint8Array, purpose: string) {
  const key = publicKeyOfPrivateKey(privateKey);
  const raw = `0x${Buffer.from(key.uncompressed.subarray(1)).toString("hex")}`;
  await readDataset(sharing, datasetId);
  const { tx } = await sendChecked(
    `request access to dataset ${datasetId}`,
    sharing.requestAccess,
    datasetId,
    raw,
    purpose,
  );
  return { txHash: tx.hash, address: key.address };
}

/** Revokes a receiver's grant as the dataset's provider. */
export async function revokeGrant(sharing: DataSharing, datasetId: bigint, receiver: string) {
  if (!isAddress(receiver)) throw new Error(`the receiver must be an address, got "${receiver}"`);
  const { tx } = await sendChecked(
    `revoke dataset ${datasetId} for ${receiver}`,
    sharing.revokeAccess,
    datasetId,
    receiver,
  );
  return tx.hash;
}
