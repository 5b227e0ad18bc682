import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { RUN_DEFAULTS } from "../../src/pipeline/options";
import { load } from "../common/lazy";

export interface TraceTaskOptions {
  run: string;
  record: string;
  out: string;
}

/** Prints a record of a run: its terminal, fate, batch, transaction, block and whether it verifies on-chain now. */
export async function runTrace(hre: HardhatRuntimeEnvironment, args: TraceTaskOptions) {
  await hre.run("compile", { quiet: true });
  const { traceRecord } = load.pipeline.trace();
  const t = await traceRecord(join(args.out, args.run), args.record, hre.ethers.provider);
  const r = t.record;
  console.log(`record ${r.recordId} (leaf ${r.leafHash})`);
  console.log(
    `  terminal ${r.label} (${r.terminalId}), kind ${r.kind}, timestamp ${new Date(r.timestamp * 1000).toISOString()}`,
  );
  console.log(`  payload ${r.payload}`);
  if (r.status === "quarantined") {
    console.log(`  QUARANTINED: ${r.reason}${r.detail ? ` (${r.detail})` : ""}`);
  } else if (t.batch) {
    const b = t.batch;
    console.log(
      `  ANCHORED in batch ${b.batchId} (${b.batchKey}, data type ${b.dataType}, ${b.recordCount} records, root ${b.root})`,
    );
    console.log(
      `  signed by generator terminal ${b.terminalId} (bus ${b.generatorBus}); tx ${b.txHash}, block ${b.blockNumber}`,
    );
    console.log(
      `  proof file: ${t.proofProblems.length === 0 ? "proves the record against the root" : `PROBLEMS: ${t.proofProblems.join("; ")}`}`,
    );
    console.log(
      `  on-chain now: ${t.verifiesOnChain === null ? "not checked" : t.verifiesOnChain ? "VERIFIES" : "DOES NOT VERIFY"} (${t.chainNote})`,
    );
  } else {
    console.log(`  status ${r.status}: the run has not anchored it yet (resume the run)`);
  }
  return t;
}

gridTask("trace", "Trace a record of a run to its terminal, batch, transaction and block, and check it on-chain", (t) =>
  t
    .addParam("run", "Run id (a folder under --out)")
    .addParam("record", "Record id (e.g. p12/ieee39.bus8.node/r3) or leaf hash")
    .addOptionalParam("out", "Parent folder of run folders", RUN_DEFAULTS.out)
    .setAction(async (args: TraceTaskOptions, hre) => {
      await runTrace(hre, args);
    }),
);
