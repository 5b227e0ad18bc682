/**
 * Production generators for a zoned gateway (issue 15 part 4): each zone of the journaled zone plan is served by
 * registered generator terminals the operator names in a JSON file (one per zone, or several candidates elected
 * among every period), whose private keys come from a hardhat var, an environment variable or an encrypted
 * keystore, never from the file in clear. Everything is checked before the gateway takes a package: every zone
 * covered, and in each zone a candidate registered, active, located in its zone, its registry signer the key's
 * address; candidates that fail are skipped with their reason, and checked again every period.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { SigningKey, Wallet, computeAddress } from "ethers";
import { z } from "zod";
import { TERMINAL_STATUS_NAMES, TerminalStatus } from "../chain/types";
import { formatIssues, hex32Schema } from "../merkle/record";
import type { Election } from "../pipeline/stages/batch";
import { modelSources, periodNetwork, type GridModel } from "../pipeline/stages/gridModel";
import type { ZonePlan } from "../pipeline/stages/zones";
import { rankZoneCandidates } from "../routing/zones";

const secretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name (letters, digits, _)");

/** Where a generator's key is: a name to look up, never the key itself. */
const keyRefSchema = z.union([
  z.strictObject({ var: secretName }),
  z.strictObject({ env: secretName }),
  z.strictObject({
    keystore: z.string().min(1),
    passwordVar: secretName.optional(),
    passwordEnv: secretName.optional(),
  }),
]);
export type KeyRef = z.infer<typeof keyRefSchema>;

const candidateSchema = z.strictObject({ terminal: hex32Schema, key: keyRefSchema });

/** A zone's generator: one terminal and its key (the first format), or candidates elected among every period. */
const zoneEntrySchema = z
  .strictObject({
    zone: z.number().int().min(0),
    terminal: hex32Schema.optional(),
    key: keyRefSchema.optional(),
    candidates: z.array(candidateSchema).min(1, "list at least one candidate generator").optional(),
  })
  .superRefine((g, ctx) => {
    const single = g.terminal !== undefined || g.key !== undefined;
    if (single && g.candidates !== undefined)
      ctx.addIssue({ code: "custom", message: "give either terminal and key, or candidates, not both" });
    else if (!single && g.candidates === undefined)
      ctx.addIssue({ code: "custom", message: "give terminal and key, or candidates: [{terminal, key}, ...]" });
    else if (single && (g.terminal === undefined || g.key === undefined))
      ctx.addIssue({
        code: "custom",
        path: [g.terminal === undefined ? "terminal" : "key"],
        message: "required with the other",
      });
  });

export const zoneGeneratorsSchema = z.strictObject({
  generators: z.array(zoneEntrySchema).min(1, "name at least one zone's generator"),
});
export type ZoneGeneratorsFile = z.infer<typeof zoneGeneratorsSchema>;
type ZoneEntry = z.infer<typeof zoneEntrySchema>;

/** A zone's candidates, whichever format its entry uses. */
export const candidatesOf = (g: ZoneEntry): z.infer<typeof candidateSchema>[] =>
  g.candidates ?? [{ terminal: g.terminal!, key: g.key! }];

/** Secret lookups the caller provides (hardhat vars live outside src/; the environment is passed for tests). */
export interface SecretSource {
  /** A hardhat var (`npx hardhat vars set NAME`), or undefined when unset. */
  var: (name: string) => string | undefined;
  env: (name: string) => string | undefined;
}

/** A zone's generator with its key loaded. */
export interface ZoneGenerator {
  zone: number;
  terminalId: string;
  key: SigningKey;
  /** Where the key came from, for messages ("var GRID_ZONE0_KEY"). */
  keySource: string;
}

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/** Reads and checks the file's shape; a key written in clear is refused with where it was found. */
export function readZoneGenerators(file: string): ZoneGeneratorsFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`--zone-generators ${file}: ${(e as Error).message}`, { cause: e });
  }
  const entries = (json as { generators?: unknown })?.generators;
  const refuseClearKey = (g: unknown, where: string) => {
    const entry = g as { key?: unknown; privateKey?: unknown } | null;
    if (typeof entry?.key === "string" || entry?.privateKey !== undefined)
      throw new Error(
        `--zone-generators ${file}: ${where}: a private key in the file is refused; name where it is: {"var": NAME} (npx hardhat vars set NAME), {"env": NAME} or {"keystore": path, "passwordVar"|"passwordEnv": NAME}`,
      );
  };
  if (Array.isArray(entries))
    entries.forEach((g: unknown, i) => {
      refuseClearKey(g, `generators[${i}]`);
      const candidates = (g as { candidates?: unknown } | null)?.candidates;
      if (Array.isArray(candidates))
        candidates.forEach((c: unknown, j) => refuseClearKey(c, `generators[${i}].candidates[${j}]`));
    });
  const parsed = zoneGeneratorsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`--zone-generators ${file}: ${formatIssues(parsed.error, "")}`);
  const seen = new Map<number, number>();
  /** Zone of each terminal named so far. */
  const terminals = new Map<string, number>();
  parsed.data.generators.forEach((g, i) => {
    const zone = seen.get(g.zone);
    if (zone !== undefined)
      throw new Error(`--zone-generators ${file}: zone ${g.zone} is named twice (generators[${zone}] and [${i}])`);
    seen.set(g.zone, i);
    for (const c of candidatesOf(g)) {
      const other = terminals.get(c.terminal.toLowerCase());
      if (other === g.zone)
        throw new Error(`--zone-generators ${file}: zone ${g.zone} lists terminal ${c.terminal} twice`);
      if (other !== undefined)
        throw new Error(
          `--zone-generators ${file}: terminal ${c.terminal} generates for zones ${other} and ${g.zone}: each zone needs its own generator (its own stream)`,
        );
      terminals.set(c.terminal.toLowerCase(), g.zone);
      const k = c.key;
      if ("keystore" in k && (k.passwordVar === undefined) === (k.passwordEnv === undefined))
        throw new Error(
          `--zone-generators ${file}: zone ${g.zone}: a keystore needs exactly one of passwordVar or passwordEnv`,
        );
    }
  });
  return parsed.data;
}

function secret(source: SecretSource, ref: { var?: string; env?: string }, what: string): string {
  const value = ref.var !== undefined ? source.var(ref.var) : source.env(ref.env!);
  if (value === undefined || value === "")
    throw new Error(
      ref.var !== undefined
        ? `${what}: hardhat var ${ref.var} is not set (npx hardhat vars set ${ref.var})`
        : `${what}: environment variable ${ref.env} is not set`,
    );
  return value;
}

/** One candidate's key, loaded from where the file says (a keystore relative to the file). */
function loadKey(
  zone: number,
  c: { terminal: string; key: KeyRef },
  file: string,
  source: SecretSource,
): ZoneGenerator {
  const what = `--zone-generators ${file}: zone ${zone} (terminal ${c.terminal})`;
  const k = c.key;
  if ("keystore" in k) {
    const path = isAbsolute(k.keystore) ? k.keystore : resolve(dirname(file), k.keystore);
    const password = secret(source, { var: k.passwordVar, env: k.passwordEnv }, `${what} keystore password`);
    let json: string;
    try {
      json = readFileSync(path, "utf8");
    } catch (e) {
      throw new Error(`${what}: cannot read keystore ${path}: ${(e as Error).message}`, { cause: e });
    }
    let wallet: Wallet;
    try {
      wallet = Wallet.fromEncryptedJsonSync(json, password) as Wallet;
    } catch (e) {
      throw new Error(`${what}: cannot decrypt keystore ${path}: ${(e as Error).message}`, { cause: e });
    }
    return { zone, terminalId: c.terminal.toLowerCase(), key: wallet.signingKey, keySource: path };
  }
  const name = "var" in k ? `hardhat var ${k.var}` : `environment variable ${k.env}`;
  const raw = secret(source, k, what).trim();
  if (!HEX_KEY.test(raw)) throw new Error(`${what}: ${name} is not a 32-byte hex private key`);
  const key = new SigningKey(raw.startsWith("0x") ? raw : `0x${raw}`);
  return { zone, terminalId: c.terminal.toLowerCase(), key, keySource: name };
}

/**
 * Loads each zone's keys from where the file says. A candidate whose key is not available is skipped (`onSkip`
 * gets why) while its zone keeps another; a zone left without any key is an error naming each candidate's reason.
 */
export function loadZoneGenerators(
  config: ZoneGeneratorsFile,
  file: string,
  source: SecretSource,
  onSkip: (line: string) => void = () => undefined,
): ZoneGenerator[] {
  const problems: string[] = [];
  const loaded: ZoneGenerator[] = [];
  for (const g of config.generators) {
    const reasons: string[] = [];
    const ofZone: ZoneGenerator[] = [];
    for (const c of candidatesOf(g))
      try {
        ofZone.push(loadKey(g.zone, c, file, source));
      } catch (e) {
        reasons.push((e as Error).message);
      }
    if (ofZone.length === 0) problems.push(...reasons);
    else for (const reason of reasons) onSkip(`${reason}: candidate skipped`);
    loaded.push(...ofZone);
  }
  if (problems.length === 1) throw new Error(problems[0]);
  if (problems.length > 1) throw new Error(`no key for some zones' generators:\n  ${problems.join("\n  ")}`);
  return loaded;
}

/** A zone plan's zones in a line an operator can act on: its size and a few of its buses. */
function describeZone(plan: ZonePlan, zone: number): string {
  const buses = plan.buses.filter((_, i) => plan.busZone[i] === zone);
  const shown = buses.slice(0, 8).join(", ");
  return `${buses.length} buses: ${shown}${buses.length > 8 ? ", ..." : ""}`;
}

/** A generator that passed the checks, with the bus the registry locates it at. */
export interface CheckedZoneGenerator extends ZoneGenerator {
  bus: number;
}

/** The registry view the check needs (TerminalRegistry.getTerminal). */
export interface RegistryReader {
  /** The terminals' registry entries, in the order asked (one packed read; an unregistered one has status 0). */
  readTerminals(terminalIds: readonly string[]): Promise<RegisteredTerminal[]>;
  getAddress(): Promise<string>;
}

/** A terminal's registry entry as the checks read it (TerminalRegistry.getTerminal). */
export interface RegisteredTerminal {
  signer: string;
  status: bigint | number;
  location: { gridId: string; bus: bigint | number };
}

/**
 * Why a candidate cannot sign its zone's batches (empty: it can): unregistered, not Active, a key other than its
 * registry signer, or located off its zone. The node would refuse its anchors in every case.
 */
function candidateProblems(
  g: ZoneGenerator,
  t: RegisteredTerminal,
  gridId: string,
  zoneOfBus: ReadonlyMap<number, number>,
  registryAddress: string,
): { problems: string[]; bus?: number } {
  const where = `zone ${g.zone}: generator terminal ${g.terminalId}`;
  const status = Number(t.status);
  if (status === TerminalStatus.Unregistered)
    return { problems: [`${where} is not registered in TerminalRegistry ${registryAddress}`] };
  const problems: string[] = [];
  if (status !== TerminalStatus.Active) problems.push(`${where} is ${TERMINAL_STATUS_NAMES[status]}, not Active`);
  const address = computeAddress(g.key.publicKey);
  if (address.toLowerCase() !== t.signer.toLowerCase())
    problems.push(
      `${where}: the key from ${g.keySource} is ${address}, but the registry's current signer is ${t.signer} (rotated? load the new key)`,
    );
  if (t.location.gridId.toLowerCase() !== gridId.toLowerCase()) {
    problems.push(`${where} is registered on grid ${t.location.gridId}, not this case's ${gridId}`);
    return { problems };
  }
  const bus = Number(t.location.bus);
  const zone = zoneOfBus.get(bus);
  if (zone !== g.zone)
    problems.push(
      `${where} sits at bus ${bus}, which is ${zone === undefined ? "not a bus of the case" : `in zone ${zone}`}`,
    );
  return { problems, bus };
}

/**
 * Checks the generators against the zone plan and the registry, and returns those that can sign, by zone. A zone
 * needs one candidate that passes: the others are skipped (`onSkip` gets why). Every error names the zone and the
 * terminal; all of them are reported at once so one edit of the file fixes a start.
 */
export async function checkZoneGenerators(
  generators: readonly ZoneGenerator[],
  plan: ZonePlan,
  registry: RegistryReader,
  gridId: string,
  file: string,
  onSkip: (line: string) => void = () => undefined,
): Promise<CheckedZoneGenerator[]> {
  const problems: string[] = [];
  const zones = new Set(generators.map((g) => g.zone));
  for (let zone = 0; zone < plan.k; zone++)
    if (!zones.has(zone)) problems.push(`zone ${zone} has no generator (${describeZone(plan, zone)})`);
  for (const zone of [...zones].sort((a, b) => a - b))
    if (zone >= plan.k) problems.push(`zone ${zone} is not in the zone plan (zones 0-${plan.k - 1})`);
  const registryAddress = await registry.getAddress();
  const zoneOfBus = new Map(plan.buses.map((bus, i) => [bus, plan.busZone[i]]));
  const checked: CheckedZoneGenerator[] = [];
  const skipped = new Map<number, string[]>();
  const entries = await registry.readTerminals(generators.map((g) => g.terminalId));
  for (const [i, g] of generators.entries()) {
    const found = candidateProblems(g, entries[i], gridId, zoneOfBus, registryAddress);
    if (found.problems.length === 0) checked.push({ ...g, bus: found.bus! });
    else skipped.set(g.zone, [...(skipped.get(g.zone) ?? []), ...found.problems]);
  }
  for (const [zone, reasons] of skipped) {
    if (checked.some((g) => g.zone === zone)) for (const reason of reasons) onSkip(`${reason}: candidate skipped`);
    else problems.push(...reasons);
  }
  if (problems.length > 0)
    throw new Error(
      `--zone-generators ${file} does not fit the zone plan and the registry:\n  ${problems.join("\n  ")}`,
    );
  return checked.sort((a, b) => a.zone - b.zone);
}

/** What the per-period election reads and routes on. */
export interface CandidateElectionDeps {
  model: GridModel;
  plan: ZonePlan;
  gridId: string;
  registryAddress: string;
  /** The candidates' registry entries now, in the order asked (one packed read). */
  readTerminals: (terminalIds: readonly string[]) => Promise<RegisteredTerminal[]>;
  log: (line: string) => void;
}

/**
 * Per-period election among each zone's candidate generators (P003's rule, as `grid:run` elects): every period,
 * the candidates' registry entries are read again and a candidate the node would refuse (suspended, revoked,
 * rotated key, moved off its zone) is skipped with its reason logged; among the rest, QT-DR's greedy is run towards
 * each on the zone's network at the period's load and the one with the fewest unreachable sources, then the
 * smallest block time, then the smallest LB_net signs the zone's batches. A zone left without a candidate fails the
 * period's close with every reason (the period stays open and is retried; nothing is lost).
 */
export function candidateZoneElection(candidates: readonly ZoneGenerator[], deps: CandidateElectionDeps) {
  const { model, plan } = deps;
  const ids = candidates.map((c) => c.terminalId);
  const zoneOfBus = new Map(plan.buses.map((bus, i) => [bus, plan.busZone[i]]));
  const cell = Int32Array.from(plan.busZone);
  const sources = modelSources(model);
  const sourcesOf = new Map<number, number>();
  for (const s of sources) {
    const zone = zoneOfBus.get(s.bus);
    if (zone !== undefined) sourcesOf.set(zone, (sourcesOf.get(zone) ?? 0) + 1);
  }
  let known: RegisteredTerminal[] | undefined;
  /** The last reason logged per candidate, so a lasting one is logged once, not every period. */
  const reported = new Map<string, string>();
  return async (period: number, tBuildMs: number, loadFactor: number): Promise<Election> => {
    try {
      known = await deps.readTerminals(ids);
    } catch (e) {
      if (!known) throw e;
      deps.log(`period ${period}: registry unreachable (${(e as Error).message}): electing on the last entries read`);
    }
    const usable = new Map<number, CheckedZoneGenerator[]>();
    const refused = new Map<number, string[]>();
    candidates.forEach((c, i) => {
      const { problems, bus } = candidateProblems(c, known![i], deps.gridId, zoneOfBus, deps.registryAddress);
      const reason = problems.join("; ");
      if (reported.get(c.terminalId) !== reason) {
        if (reason) deps.log(`period ${period}: ${reason}: candidate skipped`);
        else if (reported.has(c.terminalId)) deps.log(`period ${period}: zone ${c.zone}: ${c.terminalId} usable again`);
        reported.set(c.terminalId, reason);
      }
      if (reason) refused.set(c.zone, [...(refused.get(c.zone) ?? []), reason]);
      else usable.set(c.zone, [...(usable.get(c.zone) ?? []), { ...c, bus: bus! }]);
    });
    const missing = Array.from({ length: plan.k }, (_, zone) => zone).filter((zone) => !usable.has(zone));
    if (missing.length > 0)
      throw new Error(
        `period ${period}: no usable generator for ${missing
          .map((zone) => `zone ${zone} (${(refused.get(zone) ?? ["no candidate"]).join("; ")})`)
          .join(", ")}`,
      );
    const ranked = rankZoneCandidates(
      periodNetwork(model, loadFactor),
      sources,
      cell,
      new Map([...usable].map(([zone, cs]) => [zone, cs.map((c) => c.bus)])),
      { tBuildMs },
    );
    const zones = [...usable.keys()]
      .sort((a, b) => a - b)
      .map((zone) => {
        const scores = ranked.get(zone)!;
        const byBus = usable.get(zone)!;
        // Candidates may share a bus: the first listed at the winning bus signs.
        const winner = byBus.find((c) => c.bus === scores[0].bus)!;
        return { zone, winner, scores, byBus };
      });
    const summary = zones.map(({ zone, winner, scores, byBus }) => ({
      zone,
      generator: winner.bus,
      terminalId: winner.terminalId,
      sources: sourcesOf.get(zone) ?? 0,
      blockTimeMs: scores[0].blockTimeMs,
      lbNet: scores[0].lbNet,
      deadlineViolations: scores[0].deadlineViolations + scores[0].unreachable,
      candidates: scores.map((x) => ({
        terminalId: byBus.find((c) => c.bus === x.bus)!.terminalId,
        bus: x.bus,
        blockTimeMs: x.blockTimeMs,
        lbNet: x.lbNet,
      })),
      skipped: refused.get(zone) ?? [],
    }));
    const elected = zones.map(({ zone, winner }) => ({
      zone,
      generatorBus: winner.bus,
      terminalId: winner.terminalId,
    }));
    return {
      generatorBus: elected[0].generatorBus,
      terminalId: elected[0].terminalId,
      zones: elected,
      routing: JSON.stringify({
        algorithms: {},
        loadFactor,
        zones: {
          k: plan.k,
          deadlineViolations: summary.reduce((n, z) => n + z.deadlineViolations, 0),
          maxBlockTimeMs: summary.reduce((m, z) => Math.max(m, z.blockTimeMs), 0),
          zones: summary,
        },
      }),
    };
  };
}
