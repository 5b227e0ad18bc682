import { payloadIssues, type PayloadIssue } from "../records/payloads";
import { keyHeldAt, keysHeldDuring } from "../terminals/signerHistory";
import { leafHashHex, packageSigner, type TerminalPackage } from "./packages";

/** Why a record was refused at the door, before any content validation. */
export type IngestReason =
  | "UNKNOWN_TERMINAL"
  | "TERMINAL_NOT_ACTIVE"
  | "BAD_SIGNATURE"
  | "WRONG_TERMINAL"
  | "STALE_TIMESTAMP"
  | "FUTURE_TIMESTAMP"
  | "BAD_PAYLOAD"
  | "REPLAY";

export interface DirectoryEntry {
  label: string;
  /** The current key. */
  signer: string;
  active: boolean;
  /**
   * The registry's signer history (unix seconds; validUntil 0 = still valid). When given, a package is checked
   * against the key(s) the terminal held during its period, so a package signed just before a rotation stays
   * valid; without it, against the current key.
   */
  epochs?: readonly { signer: string; validFrom: number; validUntil: number }[];
}

/** The keys a terminal held at some point of [start, end). */
export function signersDuring(entry: DirectoryEntry, start: number, end: number): string[] {
  return entry.epochs ? keysHeldDuring(entry.epochs, start, end) : [entry.signer];
}

/** The key a terminal held at unix second `t` (the current key when the directory has no history). */
export function signerAtTime(entry: DirectoryEntry, t: number): string | undefined {
  return entry.epochs ? keyHeldAt(entry.epochs, t) : entry.signer;
}

/** The registry as the pipeline last read it: terminal id -> signer and status. */
export type TerminalDirectory = ReadonlyMap<string, DirectoryEntry>;

export interface IngestContext {
  chainId: bigint | number;
  directory: TerminalDirectory;
  /** The period's window [start, end), unix seconds. */
  windowStart: number;
  windowEnd: number;
  /** Leaf hashes already accepted in this run: a second copy is a replay. */
  seen: Set<string>;
  /**
   * What the gateway's door already worked out for these very package objects, so the close does not do it again:
   * the signer (lower case; undefined for a malformed signature) and each record's first payload issue, by index.
   */
  atDoor?: ReadonlyMap<TerminalPackage, DoorChecks>;
}

/** A package's signer and payload issues, as the gateway's door found them. */
export interface DoorChecks {
  signer: string | undefined;
  /** The first payload issue of each record that has one, by record index. */
  payloadIssues: ReadonlyMap<number, PayloadIssue>;
}

export type IngestVerdict =
  { ok: true; leafHash: string } | { ok: false; leafHash: string; reason: IngestReason; detail: string };

/**
 * The package-level door checks (the pipeline's ingest and the gateway's door share them): the terminal is
 * registered and active, and a key it held during the period window signed the package.
 */
export function checkPackageDoor(
  entry: DirectoryEntry | undefined,
  /** The package's signer (lower case), undefined for a malformed signature; asked only for an active terminal. */
  signerOf: () => string | undefined,
  ctx: Pick<IngestContext, "windowStart" | "windowEnd">,
  terminalId: string,
):
  | { ok: true; entry: DirectoryEntry; signer: string }
  | { ok: false; reason: "UNKNOWN_TERMINAL" | "TERMINAL_NOT_ACTIVE" | "BAD_SIGNATURE"; detail: string } {
  const refuse = (reason: "UNKNOWN_TERMINAL" | "TERMINAL_NOT_ACTIVE" | "BAD_SIGNATURE", detail: string) =>
    ({ ok: false, reason, detail }) as const;
  if (!entry) return refuse("UNKNOWN_TERMINAL", `terminal ${terminalId} is not registered`);
  if (!entry.active) return refuse("TERMINAL_NOT_ACTIVE", `terminal ${entry.label} is not active`);
  const signer = signerOf()?.toLowerCase();
  const keys = signersDuring(entry, ctx.windowStart, ctx.windowEnd);
  if (signer === undefined || !keys.some((k) => k.toLowerCase() === signer))
    return refuse(
      "BAD_SIGNATURE",
      `package of ${entry.label} signed by ${signer ?? "an invalid signature"}, not ${keys.join(" or ") || "any key it held in the period"}`,
    );
  return { ok: true, entry, signer };
}

/**
 * Checks a signed package and each of its records: a registered, active terminal; a key it held in the period
 * signed the package; each record belongs to that terminal, was signed with the key the terminal held at the
 * record's own time (what DataAcquisition.verifySignedRecord checks, so nothing is anchored that would not verify),
 * falls in the period window and was not seen before.
 * Accepted leaves are added to `seen`.
 */
export function ingestPackage(p: TerminalPackage, ctx: IngestContext): IngestVerdict[] {
  const atDoor = ctx.atDoor?.get(p);
  const door = checkPackageDoor(
    ctx.directory.get(p.terminalId.toLowerCase()),
    () => (atDoor ? atDoor.signer : packageSigner(ctx.chainId, p)),
    ctx,
    p.terminalId,
  );
  if (!door.ok) return p.records.map((_, i) => ({ ...door, leafHash: leafHashHex(p.leafHashes, i) }));
  const { entry, signer } = door;
  return p.records.map((r, i): IngestVerdict => {
    const leafHash = leafHashHex(p.leafHashes, i);
    if (r.terminalId.toLowerCase() !== p.terminalId.toLowerCase()) {
      return {
        ok: false,
        leafHash,
        reason: "WRONG_TERMINAL",
        detail: `record of ${r.terminalId} in the package of ${entry.label}`,
      };
    }
    if (r.timestamp < ctx.windowStart) {
      return {
        ok: false,
        leafHash,
        reason: "STALE_TIMESTAMP",
        detail: `timestamp ${r.timestamp} is ${ctx.windowStart - r.timestamp} s before the period window`,
      };
    }
    if (r.timestamp >= ctx.windowEnd) {
      return {
        ok: false,
        leafHash,
        reason: "FUTURE_TIMESTAMP",
        detail: `timestamp ${r.timestamp} is at or after the window end ${ctx.windowEnd}`,
      };
    }
    const heldThen = signerAtTime(entry, r.timestamp);
    if (heldThen?.toLowerCase() !== signer) {
      return {
        ok: false,
        leafHash,
        reason: "BAD_SIGNATURE",
        detail: `record at ${r.timestamp} was signed by ${signer}, but ${entry.label} held ${heldThen ?? "no key"} then`,
      };
    }
    const issue = atDoor ? atDoor.payloadIssues.get(i) : payloadIssues(r.kind, r.payload)[0];
    if (issue) {
      const name = typeof r.payload.recordId === "string" ? `${r.payload.recordId} (record ${i})` : `record ${i}`;
      const field = issue.field === "" ? "payload" : `payload field ${issue.field}`;
      return {
        ok: false,
        leafHash,
        reason: "BAD_PAYLOAD",
        detail: `${name} of ${entry.label}: ${field}: ${issue.message}`,
      };
    }
    if (ctx.seen.has(leafHash))
      return { ok: false, leafHash, reason: "REPLAY", detail: "an identical record was already accepted" };
    ctx.seen.add(leafHash);
    return { ok: true, leafHash };
  });
}
