/**
 * Terminal registration over the registry contract: the schema of a terminal entry (as in a terminals file or
 * passed by a dApp), idempotent bulk registration and listing. No file I/O (see registration.node.ts for files).
 */
import {
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
import { sendChecked } from "../chain/errors";
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

export const terminalEntrySchema = z.object({
  id: z.string().min(1, "required"),
  kind: z.string().transform((k, ctx) => {
    const kind = KIND_ALIASES[k.trim().toLowerCase()];
    if (!kind) ctx.addIssue({ code: "custom", message: `unknown kind "${k}" (SmartMeter, FTU, TTU, PMU, Other)` });
    return kind ?? "Other";
  }),
  grid: z.string().max(31, "at most 31 characters").default(""),
  bus: z.coerce
    .number()
    .int("must be a whole number")
    .min(0)
    .max(2 ** 32 - 1)
    .default(0),
  geohash: z
    .string()
    .regex(GEOHASH, "not a geohash (base32 0-9 b-z without a i l o, 1-12 characters)")
    .or(z.literal(""))
    .default(""),
  signer: z
    .string()
    .refine((s) => s === "" || isAddress(s), "not an address")
    .default(""),
  metadataURI: z.string().default(""),
});

/** A terminal entry as a file or a dApp gives it: `id` is a label or 0x id; a missing `signer` means the dev key. */
export type TerminalEntry = z.input<typeof terminalEntrySchema>;

export class TerminalFileError extends Error {
  constructor(file: string, line: number, field: string | undefined, reason: string) {
    super(`${file}:${line}${field ? ` field "${field}"` : ""}: ${reason}`);
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
  return entries.map(({ raw, line }) => {
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
    return {
      label: e.id,
      terminalId,
      signer: e.signer || devTerminalWallet(terminalId, mnemonic).address,
      kind: e.kind,
      location: {
        gridId: encodeBytes32String(e.grid),
        bus: e.bus,
        geohash: zeroPadBytes(hexlify(toUtf8Bytes(e.geohash)), 12),
      },
      metadataURI: e.metadataURI,
      line,
    };
  });
}

export interface RegistrationReport {
  registered: TerminalSpec[];
  alreadyRegistered: TerminalSpec[];
  txHashes: string[];
}

/** Registrations per multicall transaction: keeps each well under a block's gas limit. */
export const REGISTRATIONS_PER_TX = 40;

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
  for (const spec of specs) {
    const [signer, status] = await core.registry.signerAndStatus(spec.terminalId);
    if (Number(status) !== TerminalStatus.Unregistered) {
      if (signer.toLowerCase() !== spec.signer.toLowerCase()) {
        throw new Error(
          `${where}:${spec.line}: terminal ${spec.label} is already registered with signer ${signer}, not ${spec.signer}`,
        );
      }
      report.alreadyRegistered.push(spec);
      continue;
    }
    const boundTo = await core.registry.terminalOfSigner(spec.signer);
    if (boundTo !== "0x" + "0".repeat(64)) {
      throw new Error(
        `${where}:${spec.line}: signer ${spec.signer} of ${spec.label} is already bound to terminal ${boundTo}`,
      );
    }
    pending.push(spec);
  }
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
    const { tx } = await sendChecked(`register ${chunk.length} terminals`, core.registry.multicall, calls);
    report.txHashes.push(tx.hash);
    report.registered.push(...chunk);
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
