import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface RegisterTaskOptions {
  file: string;
  mnemonic?: string;
}

export async function runRegisterTerminals(hre: HardhatRuntimeEnvironment, opts: RegisterTaskOptions) {
  const specs = load.terminals.registration().readTerminalsFile(opts.file, opts.mnemonic);
  const ctx = await chainContext(hre);
  const core = await connectDeployedCore(hre, ctx);
  const report = await load.terminals.registration().registerTerminals(core, specs, opts.file);
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
