import type { Signer } from "ethers";
import type { CoreContracts } from "../../chain/contracts";
import { deployCore } from "../../chain/deploy.node";
import { sendChecked } from "../../chain/errors";
import { multicallViews } from "../../chain/multicallViews";
import { devTerminalWallet } from "../../chain/keys";
import { registerTerminals, type TerminalSpec } from "../../terminals/registration.node";
import { TerminalStatus, TriggerMode, type Policy } from "../../chain/types";
import { canSetTime, latestTimestamp, type RpcProvider } from "../clock";
import type { TerminalDirectory } from "../ingest";
import type { Journal } from "../journal";
import type { ScenarioTerminal } from "../scenario";
import { BATCH_TYPES } from "./batch";
import type { ChainSetup } from "./context";

export interface ChainDeps {
  signer: Signer;
  provider: RpcProvider;
  /** Network name, used for the deployments file. */
  network: string;
  log: (line: string) => void;
}

/** How the run's periods map to chain time. */
export type ClockSpec =
  /** A simulated run of `periods` periods: warp where the node allows it, else backfill the day just ended. */
  | { kind: "simulated"; periods: number }
  /** The gateway: period p is [p * periodSeconds, (p + 1) * periodSeconds) of chain (wall-clock) time. */
  | { kind: "live"; dataTypes: ChainSetup["dataTypes"]; tolerance: number };

export interface SetupSpec {
  caseName: string;
  /** Terminals to register with their dev keys (development chains only); already registered ones are skipped. */
  register: readonly ScenarioTerminal[];
  periodSeconds: number;
  clock: ClockSpec;
}

/** The registry's 32-byte grid id of a case. */
export function encodeGridId(caseName: string): string {
  return `0x${Buffer.from(caseName.slice(0, 31), "utf8").toString("hex").padEnd(64, "0")}`;
}

function dataTypesFor(mode: "warp" | "backfill"): ChainSetup["dataTypes"] {
  const pick = (t: (typeof BATCH_TYPES)[number]) => (mode === "warp" ? t.warpType : t.backfillType);
  return { readings: pick(BATCH_TYPES[0]), transactions: pick(BATCH_TYPES[1]) };
}

/** Sets a policy unless an enabled one that is at least as permissive is there already. */
async function ensurePolicy(core: CoreContracts, dataType: number, policy: Policy, log: (line: string) => void) {
  const current = await core.acquisition.policyOf(dataType);
  const fits =
    current.enabled &&
    Number(current.tolerance) >= policy.tolerance &&
    Number(current.timeScale) === policy.timeScale &&
    Number(current.trigger) === policy.trigger;
  if (fits) return;
  await sendChecked(`setPolicy(${dataType})`, core.acquisition.setPolicy, dataType, policy);
  const trigger = policy.trigger === TriggerMode.TimeDriven ? "time-driven" : "event-driven";
  log(`policy of data type ${dataType}: ${trigger}, ${policy.timeScale} s, tolerance ${policy.tolerance} s`);
}

/**
 * Stage "setup": deploys (or reuses) the contracts, registers the terminals, fixes the run's clock in the
 * journal (so a resumed run or a restarted gateway keeps it) and makes sure the data types' policies fit.
 */
export async function setupChain(deps: ChainDeps, journal: Journal, spec: SetupSpec): Promise<ChainSetup> {
  const { log } = deps;
  const chainId = (await deps.provider.getNetwork()).chainId;
  const deployed = await deployCore({ signer: deps.signer, network: deps.network, log });
  const core = deployed.contracts;
  const contracts = {
    TerminalRegistry: await core.registry.getAddress(),
    DataAcquisition: await core.acquisition.getAddress(),
  };
  const recorded = journal.getMeta<Omit<ChainSetup, "core" | "chainId"> & { chainId: string }>("chain");
  if (recorded && recorded.contracts.DataAcquisition !== contracts.DataAcquisition) {
    throw new Error(
      `this journal anchored to DataAcquisition ${recorded.contracts.DataAcquisition}, but the network now has ${contracts.DataAcquisition} (node reset?): start a new run`,
    );
  }
  if (spec.register.length > 0) {
    const specs: TerminalSpec[] = spec.register.map((t, i) => ({
      label: t.label,
      terminalId: t.terminalId,
      signer: devTerminalWallet(t.terminalId).address,
      kind: t.kind,
      location: { gridId: encodeGridId(spec.caseName), bus: t.bus, geohash: `0x${"00".repeat(12)}` },
      metadataURI: `gridledger:${t.label}`,
      line: i + 1,
    }));
    const start = performance.now();
    const registration = await registerTerminals(core, specs, `${spec.caseName} scenario`);
    if (registration.registered.length > 0)
      log(
        `registered ${registration.registered.length} terminals in ${((performance.now() - start) / 1000).toFixed(1)} s (${registration.txHashes.length} transactions)`,
      );
  }

  let setup: ChainSetup;
  if (recorded) {
    setup = {
      core,
      chainId,
      contracts,
      mode: recorded.mode,
      chainStart: recorded.chainStart,
      dataTypes: recorded.dataTypes,
    };
  } else if (spec.clock.kind === "live") {
    setup = { core, chainId, contracts, mode: "live", chainStart: 0, dataTypes: spec.clock.dataTypes };
  } else {
    const now = await latestTimestamp(deps.provider);
    const mode = (await canSetTime(deps.provider)) ? "warp" : "backfill";
    const chainStart =
      mode === "warp"
        ? (Math.floor(now / spec.periodSeconds) + 1) * spec.periodSeconds
        : (Math.floor(now / spec.periodSeconds) - spec.clock.periods) * spec.periodSeconds;
    setup = { core, chainId, contracts, mode, chainStart, dataTypes: dataTypesFor(mode) };
    if (mode === "backfill")
      log(`this node keeps wall-clock time: anchoring the day that just ended as a backfill (data types 11, 12)`);
  }
  if (!recorded) {
    const { mode, chainStart, dataTypes } = setup;
    journal.setMeta("chain", { contracts, mode, chainStart, dataTypes, chainId: chainId.toString() });
  }
  const policyOf = (tolerance: number, timeScale: number, trigger: Policy["trigger"]): Policy => ({
    tolerance,
    timeScale,
    maxRecords: 1_000_000,
    sensorCount: 0,
    trigger,
    enabled: true,
  });
  if (setup.mode === "backfill" && spec.clock.kind === "simulated") {
    const tolerance = spec.clock.periods * spec.periodSeconds + 3600;
    for (const t of Object.values(setup.dataTypes))
      await ensurePolicy(core, t, policyOf(tolerance, spec.periodSeconds, TriggerMode.EventDriven), log);
  } else if (setup.mode === "live" && spec.clock.kind === "live") {
    for (const t of Object.values(setup.dataTypes))
      await ensurePolicy(core, t, policyOf(spec.clock.tolerance, spec.periodSeconds, TriggerMode.TimeDriven), log);
  }
  return setup;
}

/** The registry as of now, for the given terminals. */
export async function readDirectory(
  core: CoreContracts,
  terminals: readonly { terminalId: string; label: string }[],
): Promise<Map<string, { label: string; signer: string; active: boolean }>> {
  const directory = new Map<string, { label: string; signer: string; active: boolean }>();
  const states = await multicallViews(
    core.registry,
    "signerAndStatus",
    terminals.map((t) => [t.terminalId]),
  );
  for (const [i, t] of terminals.entries()) {
    const [signer, status] = states[i] as unknown as [string, bigint];
    if (Number(status) === TerminalStatus.Unregistered) continue;
    directory.set(t.terminalId.toLowerCase(), {
      label: t.label,
      signer,
      active: Number(status) === TerminalStatus.Active,
    });
  }
  return directory satisfies TerminalDirectory;
}
