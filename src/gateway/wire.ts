import { z } from "zod";
import { formatIssues, hex32Schema, recordSchema } from "../merkle/record";
import type { RecordLeaf } from "../merkle";
import { payloadIssues, type PayloadIssue } from "../records/payloads";
import { bytesToHex, decodeHexInto, isHexOfLength } from "../merkle/hex";
import {
  hashRecords,
  knowRecordsRoot,
  packageDigest,
  recordsRootBytes,
  signerOfDigest,
  type TerminalPackage,
} from "../pipeline/packages";

/**
 * The wire form of a terminal package (MQTT payload or HTTP body): the EIP-712 TerminalPackage fields and the
 * records it covers. The gateway recomputes every leaf hash and the digest; nothing in the message is trusted.
 */
export const MAX_PACKAGE_BYTES = 1_048_576;
export const MAX_RECORDS_PER_PACKAGE = 10_000;

/** The paths of numbers in `value` that JSON.parse could not hold exactly (beyond 2^53). */
function inexactNumbers(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "number") return Number.isFinite(value) && Math.abs(value) < 2 ** 53 ? [] : [path];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => inexactNumbers(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

/**
 * A record on the wire. The payload was read with JSON.parse, which rounds a number beyond 2^53: such a record is
 * refused (its signature would then fail on a value the terminal never sent), never rounded.
 */
const wireRecordSchema = recordSchema.superRefine((record, ctx) => {
  for (const path of inexactNumbers(record.payload))
    ctx.addIssue({
      code: "custom",
      path: ["payload", ...path],
      message: "a number beyond 2^53 is not exact in JSON: send it as a decimal string",
    });
});

export const wirePackageSchema = z.strictObject({
  terminalId: hex32Schema,
  periodStart: z.number().int("periodStart must be whole unix seconds").min(0).max(Number.MAX_SAFE_INTEGER),
  records: z.array(wireRecordSchema).min(1, "a package has at least one record").max(MAX_RECORDS_PER_PACKAGE),
  signature: z.string().refine((s) => isHexOfLength(s, 65), "expected a 65-byte signature, 0x hex"),
});
export type WirePackage = z.infer<typeof wirePackageSchema>;

/** Every reason the gateway refuses a package with, and the HTTP status it answers. */
export const REJECTION_STATUS = {
  NOT_JSON: 400,
  SCHEMA: 400,
  TOO_LARGE: 413,
  WRONG_TOPIC: 400,
  UNKNOWN_TERMINAL: 403,
  TERMINAL_NOT_ACTIVE: 403,
  BAD_SIGNATURE: 401,
  BAD_PERIOD: 422,
  STALE_TIMESTAMP: 422,
  FUTURE_TIMESTAMP: 422,
  REPLAY: 409,
  QUOTA_EXCEEDED: 503,
  SHUTTING_DOWN: 503,
} as const;
export type RejectionReason = keyof typeof REJECTION_STATUS;

export class PackageRejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    readonly detail: string,
    readonly terminalId: string | null = null,
    /** The refused package's id (its EIP-712 digest), once it decoded that far; lets a terminal match the reply. */
    readonly packageId: string | null = null,
  ) {
    super(`${reason}: ${detail}`);
    this.name = "PackageRejected";
  }
}

/** A decoded package: the pipeline's TerminalPackage, its id (the EIP-712 digest) and its size on the wire. */
export interface DecodedPackage {
  pkg: TerminalPackage;
  packageId: string;
  bytes: number;
  /** The JSON text as received (journaled as is, so nothing is serialised again); absent for in-process packages. */
  text?: string;
}

/**
 * Decodes and checks the form of a package (size, JSON, schema); `where` names the source in errors
 * (e.g. `mqtt gridledger/v1/0x…/packages`). Throws PackageRejected.
 */
export function decodePackage(raw: Buffer | string, chainId: bigint, where: string): DecodedPackage {
  const bytes = typeof raw === "string" ? Buffer.byteLength(raw) : raw.length;
  if (bytes > MAX_PACKAGE_BYTES)
    throw new PackageRejected("TOO_LARGE", `${where}: ${bytes} bytes, more than the ${MAX_PACKAGE_BYTES} allowed`);
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PackageRejected("NOT_JSON", `${where}: not JSON (${(e as Error).message})`);
  }
  const parsed = wirePackageSchema.safeParse(json);
  if (!parsed.success) {
    const id = (json as { terminalId?: unknown } | null)?.terminalId;
    throw new PackageRejected(
      "SCHEMA",
      formatIssues(parsed.error, `${where} package`),
      typeof id === "string" && isHexOfLength(id, 32) ? id.toLowerCase() : null,
    );
  }
  return { ...fromWire(parsed.data, bytes, chainId), text };
}

/** The pipeline's package from a checked wire package; its id is the EIP-712 digest under `chainId`. */
export function fromWire(w: WirePackage, bytes: number, chainId: bigint): DecodedPackage {
  const { leaves, leafHashes } = hashRecords(w.records);
  const pkg: TerminalPackage = {
    terminalId: w.terminalId.toLowerCase(),
    periodStart: w.periodStart,
    records: w.records,
    leaves,
    leafHashes,
    signature: w.signature,
  };
  return { pkg, packageId: packageDigest(chainId, pkg), bytes };
}

/**
 * What the gateway keeps of a journaled package until its period closes: its identity, its signer and its hashes
 * (64 bytes a record), not its decoded records, which the close reads back from the journal. Holding decoded
 * packages made the memory grow with every record waiting for its period to close.
 */
export interface DoorPackage {
  packageId: string;
  /** Lower case. */
  terminalId: string;
  periodStart: number;
  recordCount: number;
  signature: string;
  /** Recovered from the package id and signature (lower case); undefined for a malformed signature. */
  signer: string | undefined;
  /** 32 bytes per record, in record order. */
  leafHashes: Uint8Array;
  /** Each record's timestamp (unix seconds), in record order: the period an accepted copy of it would be in. */
  timestamps: Float64Array;
  /** keccak256 of each record's canonical payload (the leaf's last field), 32 bytes per record. */
  payloadHashes: Uint8Array;
  /** The root of the package tree over the leaf hashes (what the signature covers). */
  recordsRoot: Uint8Array;
  /** The first payload issue of each record whose payload does not match its data type's schema, by index. */
  payloadIssues: [index: number, issue: PayloadIssue][];
  bytes: number;
}

/** What the door thread computes of a package: everything but its signer. */
export type DoorDecoded = Omit<DoorPackage, "signer">;

/** The door's view of a decoded package: the records dropped, the signer not yet recovered. */
export function doorDecoded({ pkg, packageId, bytes }: DecodedPackage): DoorDecoded {
  const payloadHashes = new Uint8Array(32 * pkg.records.length);
  pkg.leaves.forEach((leaf, i) => decodeHexInto(leaf[3], payloadHashes, 32 * i));
  return {
    packageId,
    terminalId: pkg.terminalId,
    periodStart: pkg.periodStart,
    recordCount: pkg.records.length,
    signature: pkg.signature,
    leafHashes: pkg.leafHashes,
    timestamps: Float64Array.from(pkg.records, (r) => r.timestamp),
    payloadHashes,
    recordsRoot: recordsRootBytes(pkg.leafHashes),
    payloadIssues: pkg.records.flatMap((r, i): [number, PayloadIssue][] => {
      const issue = payloadIssues(r.kind, r.payload)[0];
      return issue ? [[i, issue]] : [];
    }),
    bytes,
  };
}

/**
 * Adds the signer, recovered from the package id and signature on the calling thread: libsecp256k1 takes about
 * 0.06 ms a package, and its binding is not safe to load in a worker thread (src/chain/nativeEcdsa.node.ts).
 */
export function withSigner(door: DoorDecoded): DoorPackage {
  return { ...door, signer: signerOfDigest(door.packageId, door.signature)?.toLowerCase() };
}

/** The door's view of a decoded package, in-process: the records dropped, the signer recovered. */
export function doorPackage(decoded: DecodedPackage): DoorPackage {
  return withSigner(doorDecoded(decoded));
}

/**
 * A package again from its journaled body and what the door kept of it: the body is parsed, not checked again
 * (it was journaled only after its schema passed), and nothing is hashed again.
 */
export function packageFromJournal(body: string, door: DoorPackage): TerminalPackage {
  const w = JSON.parse(body) as WirePackage;
  if (w.records.length !== door.recordCount)
    throw new Error(
      `journaled package ${door.packageId}: ${w.records.length} records, the door saw ${door.recordCount}`,
    );
  knowRecordsRoot(door.leafHashes, door.recordsRoot);
  const leaves = w.records.map((r, i): RecordLeaf => [
    r.terminalId,
    r.kind,
    r.timestamp,
    bytesToHex(door.payloadHashes, 32 * i, 32),
  ]);
  return {
    terminalId: door.terminalId,
    periodStart: w.periodStart,
    records: w.records,
    leaves,
    leafHashes: door.leafHashes,
    signature: w.signature,
  };
}

/** The wire form of a signed package (what terminals send). */
export function toWire(pkg: Pick<TerminalPackage, "terminalId" | "periodStart" | "records" | "signature">): string {
  return JSON.stringify({
    terminalId: pkg.terminalId,
    periodStart: pkg.periodStart,
    records: pkg.records,
    signature: pkg.signature,
  });
}

/** MQTT topics: terminals publish to `packages` and hear refusals on `rejections`. */
export const TOPIC_PREFIX = "gridledger/v1";
export const packagesTopic = (terminalId: string) => `${TOPIC_PREFIX}/${terminalId.toLowerCase()}/packages`;
export const rejectionsTopic = (terminalId: string) => `${TOPIC_PREFIX}/${terminalId.toLowerCase()}/rejections`;
export const PACKAGES_SUBSCRIPTION = `${TOPIC_PREFIX}/+/packages`;

/** The terminal id a packages topic names, or undefined when the topic is not a packages topic. */
export function terminalOfTopic(topic: string): string | undefined {
  const m = /^gridledger\/v1\/(0x[0-9a-fA-F]{64})\/packages$/.exec(topic);
  return m ? m[1].toLowerCase() : undefined;
}

/** The terminal id any `gridledger/v1/<terminalId>/...` topic names (to answer a publish to the wrong one). */
export function terminalInTopic(topic: string): string | undefined {
  const m = /^gridledger\/v1\/(0x[0-9a-fA-F]{64})\//.exec(topic);
  return m ? m[1].toLowerCase() : undefined;
}
