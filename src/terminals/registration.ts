/**
 * Terminal registration over the registry contract: the schema of a terminal entry (as in a terminals file or
 * passed by a dApp), idempotent bulk registration and listing. No file I/O (see registration.node.ts for files).
 */
import {
  type ContractTransactionResponse,
  encodeBytes32String,
  hexlify,
  isAddress,
  toUtf8Bytes,
  toUtf8String,
  Utf8ErrorFuncs,
  zeroPadBytes,
} from "ethers";
import { z } from "zod";
import type { CoreContracts } from "../chain/contracts";
import { devTerminalWallet } from "../chain/keys";
import { withDecodedRevert } from "../chain/errors";
import { multicallViews } from "../chain/multicallViews";
import { toTerminalId } from "../chain/ids";
import {
  TERMINAL_KIND_NAMES,
  TERMINAL_STATUS_NAMES,
  TerminalKind,
  TerminalStatus,
  type Location,
  type TerminalKindName,
} from "../chain/types";

/** One terminal to register, as read from a terminals file. */
export interface TerminalSpec {
  /** The label or 0x id given in the file. */
  label: string;
  terminalId: string;
  signer: string;
  kind: TerminalKindName;
  location: Location;
  metadataURI: string;
  /** Line in the file (for messages). */
  line: number;
}

const KIND_ALIASES: Record<string, TerminalKindName> = {
  smartmeter: "SmartMeter",
  meter: "SmartMeter",
  "smart meter": "SmartMeter",
  ftu: "FTU",
  ttu: "TTU",
  pmu: "PMU",
  other: "Other",
};

const GEOHASH = /^[0-9bcdefghjkmnpqrstuvwxyz]{1,12}$/;

const utf8Length = (s: string) => toUtf8Bytes(s).length;

/** A bus number: whole, 0 to 2^32-1. A missing bus is 0; an empty cell is refused (it is not a 0). */
const busSchema = z
  .union([z.number(), z.string()], { error: (iss) => `not a bus number: ${JSON.stringify(iss.input)}` })
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return 0;
    const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (typeof v === "string" && v.trim() === "") {
      ctx.addIssue({ code: "custom", message: "empty: give the bus number (or leave the column out for none)" });
    } else if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) {
      ctx.addIssue({ code: "custom", message: `not a bus number (a whole number 0 to 2^32-1): ${JSON.stringify(v)}` });
    }
    return n;
  });

export const terminalEntrySchema = z.object({
  id: z.string().min(1, "required"),
  kind: z.string().transform((k, ctx) => {
    const kind = KIND_ALIASES[k.trim().toLowerCase()];
    if (!kind) ctx.addIssue({ code: "custom", message: `unknown kind "${k}" (SmartMeter, FTU, TTU, PMU, Other)` });
    return kind ?? "Other";
  }),
  // Stored as a bytes32 string: at most 31 UTF-8 bytes (an "é" takes two).
  grid: z
    .string()
    .superRefine((g, ctx) => {
      if (utf8Length(g) > 31)
        ctx.addIssue({
          code: "custom",
          message: `"${g}" is ${utf8Length(g)} bytes in UTF-8: a grid label holds at most 31`,
        });
    })
    .default(""),
  bus: busSchema,
  geohash: z
    .string()
    .regex(GEOHASH, "not a geohash (base32 0-9 b-z without a i l o, 1-12 characters)")
    .or(z.literal(""))
    .default(""),
  signer: z
    .string()
    .superRefine((s, ctx) => {
      if (s === "" || isAddress(s)) return;
      const hexDigits = (s as string).length - 2;
      const got = /^0x[0-9a-fA-F]*$/.test(s) ? `, got ${hexDigits}` : "";
      ctx.addIssue({ code: "custom", message: `"${s}" is not an address: expected 0x and 40 hex digits${got}` });
    })
    .default(""),
  metadataURI: z.string().default(""),
});

/** A terminal entry as a file or a dApp gives it: `id` is a label or 0x id; a missing `signer` means the dev key. */
export type TerminalEntry = z.input<typeof terminalEntrySchema>;

export class TerminalFileError extends Error {
  /** `message` overrides the `file:line field: reason` form (for a summary of several rows). */
  constructor(file: string, line: number, field: string | undefined, reason: string, message?: string) {
    super(message ?? `${file}:${line}${field ? ` field "${field}"` : ""}: ${reason}`);
    this.name = "TerminalFileError";
  }
}

/**
 * Validates terminal entries into specs. `where` names the source in errors (a file name) and each entry's
 * `line` its position. A missing `signer` means the development key derived from `mnemonic` for that terminal.
 */
export function toTerminalSpecs(
  entries: readonly { raw: unknown; line: number }[],
  where: string,
  mnemonic?: string,
): TerminalSpec[] {
  const seen = new Map<string, number>();
  const signers = new Map<string, number>();
  const specs: TerminalSpec[] = [];
  // Every row is checked before anything is registered; all bad rows are reported at once.
  const problems: string[] = [];
  for (const { raw, line } of entries) {
    try {
      specs.push(toSpec(raw, line, where, seen, signers, mnemonic));
    } catch (e) {
      if (!(e instanceof TerminalFileError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length === 1) throw new TerminalFileError(where, 0, undefined, "", problems[0]);
  if (problems.length > 1) {
    throw new TerminalFileError(
      where,
      0,
      undefined,
      "",
      `${problems.length} bad rows, nothing registered: ${problems.join("; ")}`,
    );
  }
  return specs;
}

function toSpec(
  raw: unknown,
  line: number,
  where: string,
  seen: Map<string, number>,
  signers: Map<string, number>,
  mnemonic?: string,
): TerminalSpec {
  const parsed = terminalEntrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TerminalFileError(where, line, issue.path.join("."), issue.message);
  }
  const e = parsed.data;
  let terminalId: string;
  try {
    terminalId = toTerminalId(e.id);
  } catch (err) {
    throw new TerminalFileError(where, line, "id", (err as Error).message);
  }
  const dup = seen.get(terminalId);
  if (dup !== undefined) throw new TerminalFileError(where, line, "id", `duplicate of line ${dup}`);
  seen.set(terminalId, line);
  const signer = e.signer || devTerminalWallet(terminalId, mnemonic).address;
  const sameSigner = signers.get(signer.toLowerCase());
  if (sameSigner !== undefined) {
    throw new TerminalFileError(
      where,
      line,
      "signer",
      `${signer} is already the signer of line ${sameSigner}: one key per terminal`,
    );
  }
  signers.set(signer.toLowerCase(), line);
  return {
    label: e.id,
    terminalId,
    signer,
    kind: e.kind,
    location: {
      gridId: encodeBytes32String(e.grid),
      bus: e.bus,
      geohash: zeroPadBytes(hexlify(toUtf8Bytes(e.geohash)), 12),
    },
    metadataURI: e.metadataURI,
    line,
  };
}

export interface RegistrationReport {
  registered: TerminalSpec[];
  alreadyRegistered: TerminalSpec[];
  txHashes: string[];
}

/** Registrations per multicall transaction: keeps each well under a block's gas limit. */
export const REGISTRATIONS_PER_TX = 40;

/** Registration transactions sent before the oldest one's receipt is awaited (well within a node's per-account pool). */
export const REGISTRATIONS_IN_FLIGHT = 8;

/**
 * Registers terminals idempotently: already registered ones (same signer) are skipped; conflicts (a different
 * signer on-chain, or a signer bound to another terminal) are refused before any transaction is sent.
 */
export async function registerTerminals(
  core: CoreContracts,
  specs: readonly TerminalSpec[],
  where = "terminals",
): Promise<RegistrationReport> {
  const report: RegistrationReport = { registered: [], alreadyRegistered: [], txHashes: [] };
  const pending: TerminalSpec[] = [];
  // Two packed reads for the whole list, not two round trips per terminal (thousands on the large cases).
  const states = await multicallViews(
    core.registry,
    "signerAndStatus",
    specs.map((s) => [s.terminalId]),
  );
  const unregistered = specs.filter((_, i) => Number(states[i][1]) === TerminalStatus.Unregistered);
  const bound = await multicallViews(
    core.registry,
    "terminalOfSigner",
    unregistered.map((s) => [s.signer]),
  );
  const boundOf = new Map(unregistered.map((s, i) => [s, bound[i][0] as string]));
  for (const [i, spec] of specs.entries()) {
    const [signer, status] = states[i] as unknown as [string, bigint];
    if (Number(status) !== TerminalStatus.Unregistered) {
      if (signer.toLowerCase() !== spec.signer.toLowerCase()) {
        throw new Error(
          `${where}:${spec.line}: terminal ${spec.label} is already registered with signer ${signer}, not ${spec.signer}`,
        );
      }
      report.alreadyRegistered.push(spec);
      continue;
    }
    const boundTo = boundOf.get(spec)!;
    if (boundTo !== "0x" + "0".repeat(64)) {
      throw new Error(
        `${where}:${spec.line}: signer ${spec.signer} of ${spec.label} is already bound to terminal ${boundTo}`,
      );
    }
    pending.push(spec);
  }
  // Each chunk is executed twice, not three times: its gas estimate is the preflight (a revert comes back with its
  // data, decoded to the contract's error, and nothing is sent), and the send reuses it. Up to
  // REGISTRATIONS_IN_FLIGHT transactions wait for their receipts together, so a chain with block times fits several
  // in a block; thousands of terminals took minutes one confirmed transaction at a time.
  const inFlight: { chunk: TerminalSpec[]; tx: ContractTransactionResponse }[] = [];
  const confirmOldest = async () => {
    const { chunk, tx } = inFlight.shift()!;
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1)
      throw new Error(`register ${chunk.length} terminals: transaction ${tx.hash} failed`);
    report.txHashes.push(tx.hash);
    report.registered.push(...chunk);
  };
  try {
    for (let i = 0; i < pending.length; i += REGISTRATIONS_PER_TX) {
      const chunk = pending.slice(i, i + REGISTRATIONS_PER_TX);
      const calls = chunk.map((s) =>
        core.registry.interface.encodeFunctionData("register", [
          s.terminalId,
          s.signer,
          TerminalKind[s.kind],
          s.location,
          s.metadataURI,
        ]),
      );
      const context = `register ${chunk.length} terminals`;
      const gasLimit = await withDecodedRevert(context, () => core.registry.multicall.estimateGas(calls));
      const tx = await withDecodedRevert(context, () => core.registry.multicall(calls, { gasLimit }));
      inFlight.push({ chunk, tx });
      if (inFlight.length >= REGISTRATIONS_IN_FLIGHT) await confirmOldest();
    }
    while (inFlight.length > 0) await confirmOldest();
  } catch (e) {
    // Transactions already sent may still confirm: wait for them, so the report below is exact.
    for (const { chunk, tx } of inFlight.splice(0)) {
      const receipt = await tx.wait().catch(() => null);
      if (receipt?.status === 1) {
        report.txHashes.push(tx.hash);
        report.registered.push(...chunk);
      }
    }
    if (report.registered.length === 0) throw e;
    // Earlier transactions went through: say exactly which, so nobody re-registers by hand.
    const done = report.registered.map((s) => `${s.label} (${where}:${s.line})`).join(", ");
    throw new Error(
      `${(e as Error).message}. Registered before the failure: ${report.registered.length} of ${pending.length} (${done}); the rest were not. Running the same command again skips them and continues`,
      { cause: e },
    );
  }
  return report;
}

export interface TerminalRow {
  terminalId: string;
  kind: string;
  status: string;
  signer: string;
  grid: string;
  bus: number;
  geohash: string;
  registeredAt: number;
  metadataURI: string;
}

/** Every registered terminal, in registration order. */
export async function listTerminals(core: CoreContracts): Promise<TerminalRow[]> {
  const count = Number(await core.registry.terminalCount());
  const rows: TerminalRow[] = [];
  for (let i = 0; i < count; i++) {
    const terminalId = await core.registry.terminalIdAt(i);
    const t = await core.registry.getTerminal(terminalId);
    rows.push({
      terminalId,
      kind: TERMINAL_KIND_NAMES[Number(t.kind)],
      status: TERMINAL_STATUS_NAMES[Number(t.status)],
      signer: t.signer,
      grid: decodeBytes(t.location.gridId),
      bus: Number(t.location.bus),
      geohash: decodeBytes(t.location.geohash),
      registeredAt: Number(t.registeredAt),
      metadataURI: t.metadataURI,
    });
  }
  return rows;
}

function decodeBytes(hex: string): string {
  return toUtf8String(hex, Utf8ErrorFuncs.replace).replace(/\0+$/, "");
}
