import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";

function terminals() {
  return require("../../src/terminals/registration.node") as typeof import("../../src/terminals/registration.node");
}
function ids() {
  return require("../../src/chain/ids") as typeof import("../../src/chain/ids");
}

export interface RegisterTaskOptions {
  file: string;
  mnemonic?: string;
}

export async function runRegisterTerminals(hre: HardhatRuntimeEnvironment, opts: RegisterTaskOptions) {
  const specs = terminals().readTerminalsFile(opts.file, opts.mnemonic);
  const ctx = await chainContext(hre);
  const core = await connectDeployedCore(hre, ctx);
  const report = await terminals().registerTerminals(core, specs, opts.file);
  for (const s of report.alreadyRegistered) console.log(`already registered: ${s.label} (${s.terminalId})`);
  for (const s of report.registered) console.log(`registered: ${s.label} (${s.terminalId}) signer ${s.signer}`);
  console.log(
    `${report.registered.length} registered, ${report.alreadyRegistered.length} already there, ${report.txHashes.length} transaction(s)`,
  );
  return report;
}

gridTask("terminal:register", "Register terminals from a .json or .csv file (bulk, idempotent)", (t) =>
  t
    .addParam("file", "terminals.json or terminals.csv (id,kind,grid,bus,geohash,signer,metadataURI)")
    .addOptionalParam("mnemonic", "Mnemonic for development signer keys of rows without a signer")
    .setAction(async (args: RegisterTaskOptions, hre) => {
      await runRegisterTerminals(hre, args);
    }),
);

export interface ListTaskOptions {
  json: boolean;
}

export async function runListTerminals(hre: HardhatRuntimeEnvironment, opts: ListTaskOptions) {
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const rows = await terminals().listTerminals(core);
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log("No terminals registered.");
  else
    console.table(
      rows.map((r) => ({
        id: `${r.terminalId.slice(0, 10)}…`,
        kind: r.kind,
        status: r.status,
        grid: r.grid,
        bus: r.bus,
        signer: r.signer,
        metadata: r.metadataURI,
      })),
    );
  return rows;
}

gridTask("terminal:list", "List registered terminals", (t) =>
  t.addFlag("json", "Print JSON").setAction(async (args: ListTaskOptions, hre) => {
    await runListTerminals(hre, args);
  }),
);

export type StatusChange = "suspend" | "reactivate" | "revoke";

export interface StatusTaskOptions {
  terminal: string;
}

export async function runStatusChange(hre: HardhatRuntimeEnvironment, change: StatusChange, opts: StatusTaskOptions) {
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const { sendChecked } = require("../../src/chain/errors") as typeof import("../../src/chain/errors");
  const id = ids().toTerminalId(opts.terminal);
  const { tx } = await sendChecked(`${change} ${opts.terminal}`, core.registry[change], id);
  console.log(`${change}: ${opts.terminal} (${id}) in tx ${tx.hash}`);
}

for (const change of ["suspend", "reactivate", "revoke"] as const) {
  gridTask(`terminal:${change}`, `${change[0].toUpperCase()}${change.slice(1)} a terminal`, (t) =>
    t
      .addParam("terminal", "Terminal label (e.g. ieee39.bus13.pmu) or 0x id")
      .setAction(async (args: StatusTaskOptions, hre) => {
        await runStatusChange(hre, change, args);
      }),
  );
}

export interface RotateTaskOptions {
  terminal: string;
  signer: string;
}

export async function runRotate(hre: HardhatRuntimeEnvironment, opts: RotateTaskOptions) {
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const { sendChecked } = require("../../src/chain/errors") as typeof import("../../src/chain/errors");
  const id = ids().toTerminalId(opts.terminal);
  const { tx } = await sendChecked(`rotate ${opts.terminal}`, core.registry.rotateSigner, id, opts.signer);
  console.log(
    `rotated: ${opts.terminal} now signs with ${opts.signer} (tx ${tx.hash}); batches signed by the old key stay valid`,
  );
}

gridTask("terminal:rotate", "Rotate a terminal's signing key", (t) =>
  t
    .addParam("terminal", "Terminal label or 0x id")
    .addParam("signer", "The new signer address", undefined, types.string)
    .setAction(async (args: RotateTaskOptions, hre) => {
      await runRotate(hre, args);
    }),
);
