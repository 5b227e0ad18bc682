/**
 * Production generators for a zoned gateway (issue 15 part 4): each zone of the journaled zone plan is served by
 * a registered generator terminal the operator names in a JSON file, whose private key comes from a hardhat
 * var, an environment variable or an encrypted keystore, never from the file in clear. Everything is checked
 * before the gateway takes a package: every zone covered once, each terminal registered, active, located in its
 * zone, and its registry signer the key's address.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { SigningKey, Wallet, computeAddress } from "ethers";
import { z } from "zod";
import { TERMINAL_STATUS_NAMES, TerminalStatus } from "../chain/types";
import { formatIssues, hex32Schema } from "../merkle/record";
import type { Election } from "../pipeline/stages/batch";
import type { ZonePlan } from "../pipeline/stages/zones";

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

export const zoneGeneratorsSchema = z.strictObject({
  generators: z
    .array(
      z.strictObject({
        zone: z.number().int().min(0),
        terminal: hex32Schema,
        key: keyRefSchema,
      }),
    )
    .min(1, "name at least one zone's generator"),
});
export type ZoneGeneratorsFile = z.infer<typeof zoneGeneratorsSchema>;

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
  if (Array.isArray(entries))
    entries.forEach((g: unknown, i) => {
      const key = (g as { key?: unknown; privateKey?: unknown } | null)?.key;
      if (typeof key === "string" || (g as { privateKey?: unknown } | null)?.privateKey !== undefined)
        throw new Error(
          `--zone-generators ${file}: generators[${i}]: a private key in the file is refused; name where it is: {"var": NAME} (npx hardhat vars set NAME), {"env": NAME} or {"keystore": path, "passwordVar"|"passwordEnv": NAME}`,
        );
    });
  const parsed = zoneGeneratorsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`--zone-generators ${file}: ${formatIssues(parsed.error, "")}`);
  const seen = new Map<number, number>();
  const terminals = new Map<string, number>();
  parsed.data.generators.forEach((g, i) => {
    const zone = seen.get(g.zone);
    if (zone !== undefined)
      throw new Error(`--zone-generators ${file}: zone ${g.zone} is named twice (generators[${zone}] and [${i}])`);
    seen.set(g.zone, i);
    const other = terminals.get(g.terminal.toLowerCase());
    if (other !== undefined)
      throw new Error(
        `--zone-generators ${file}: terminal ${g.terminal} generates for zones ${parsed.data.generators[other].zone} and ${g.zone}: each zone needs its own generator (its own stream)`,
      );
    terminals.set(g.terminal.toLowerCase(), i);
    const k = g.key;
    if ("keystore" in k && (k.passwordVar === undefined) === (k.passwordEnv === undefined))
      throw new Error(
        `--zone-generators ${file}: zone ${g.zone}: a keystore needs exactly one of passwordVar or passwordEnv`,
      );
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

/** Loads each zone's key from where the file says (keystores relative to the file). */
export function loadZoneGenerators(config: ZoneGeneratorsFile, file: string, source: SecretSource): ZoneGenerator[] {
  return config.generators.map((g) => {
    const what = `--zone-generators ${file}: zone ${g.zone} (terminal ${g.terminal})`;
    const k = g.key;
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
      return { zone: g.zone, terminalId: g.terminal.toLowerCase(), key: wallet.signingKey, keySource: path };
    }
    const name = "var" in k ? `hardhat var ${k.var}` : `environment variable ${k.env}`;
    const raw = secret(source, k, what).trim();
    if (!HEX_KEY.test(raw)) throw new Error(`${what}: ${name} is not a 32-byte hex private key`);
    const key = new SigningKey(raw.startsWith("0x") ? raw : `0x${raw}`);
    return { zone: g.zone, terminalId: g.terminal.toLowerCase(), key, keySource: name };
  });
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
  getTerminal(terminalId: string): Promise<{
    signer: string;
    status: bigint | number;
    location: { gridId: string; bus: bigint | number };
  }>;
  getAddress(): Promise<string>;
}

/**
 * Checks the generators against the zone plan and the registry, and returns them by zone. Every error names the
 * zone and the terminal; all of them are reported at once so one edit of the file fixes a start.
 */
export async function checkZoneGenerators(
  generators: readonly ZoneGenerator[],
  plan: ZonePlan,
  registry: RegistryReader,
  gridId: string,
  file: string,
): Promise<CheckedZoneGenerator[]> {
  const problems: string[] = [];
  const byZone = new Map(generators.map((g) => [g.zone, g]));
  for (let zone = 0; zone < plan.k; zone++)
    if (!byZone.has(zone)) problems.push(`zone ${zone} has no generator (${describeZone(plan, zone)})`);
  for (const g of generators)
    if (g.zone >= plan.k) problems.push(`zone ${g.zone} is not in the zone plan (zones 0-${plan.k - 1})`);
  const registryAddress = await registry.getAddress();
  const zoneOfBus = new Map(plan.buses.map((bus, i) => [bus, plan.busZone[i]]));
  const checked: CheckedZoneGenerator[] = [];
  for (const g of generators) {
    const where = `zone ${g.zone}: generator terminal ${g.terminalId}`;
    const t = await registry.getTerminal(g.terminalId);
    const status = Number(t.status);
    if (status === TerminalStatus.Unregistered) {
      problems.push(`${where} is not registered in TerminalRegistry ${registryAddress}`);
      continue;
    }
    if (status !== TerminalStatus.Active) problems.push(`${where} is ${TERMINAL_STATUS_NAMES[status]}, not Active`);
    const address = computeAddress(g.key.publicKey);
    if (address.toLowerCase() !== t.signer.toLowerCase())
      problems.push(
        `${where}: the key from ${g.keySource} is ${address}, but the registry's current signer is ${t.signer} (rotated? load the new key)`,
      );
    if (t.location.gridId.toLowerCase() !== gridId.toLowerCase())
      problems.push(`${where} is registered on grid ${t.location.gridId}, not this case's ${gridId}`);
    else {
      const bus = Number(t.location.bus);
      checked.push({ ...g, bus });
      const zone = zoneOfBus.get(bus);
      if (zone !== g.zone)
        problems.push(
          `${where} sits at bus ${bus}, which is ${zone === undefined ? "not a bus of the case" : `in zone ${zone}`}`,
        );
    }
  }
  if (problems.length > 0)
    throw new Error(
      `--zone-generators ${file} does not fit the zone plan and the registry:\n  ${problems.join("\n  ")}`,
    );
  return checked.sort((a, b) => a.zone - b.zone);
}

/** The election of a zoned gateway with configured generators: the same terminal per zone every period. */
export function fixedZoneElection(generators: readonly CheckedZoneGenerator[]) {
  const zones = generators.map((g) => ({ zone: g.zone, generatorBus: g.bus, terminalId: g.terminalId }));
  return (): Election => ({
    generatorBus: zones[0].generatorBus,
    terminalId: zones[0].terminalId,
    zones,
    routing: "{}",
  });
}
