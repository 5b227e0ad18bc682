import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface VerifyTaskOptions {
  record: string;
  proof: string;
}

/** Checks one record (a JSON file) against its proof file and the chain; prints the verdict. */
export async function runVerify(hre: HardhatRuntimeEnvironment, opts: VerifyTaskOptions) {
  const { parseRecord, RECORD_PROOF_FORMAT, RECORD_PROOF_FORMAT_V1 } = load.merkle.index();
  const { readProofs } = load.chain.proofs();
  const { verifyRecordOnChain } = load.chain.verify();
  const { parseJsonExact } = load.common.exactJson();
  const { readTextFile } = load.common.text();
  let json: { format?: string; record?: unknown };
  try {
    // Exact numbers: JSON.parse would round 12345678901234567891 to the anchored …567000 and call it ANCHORED.
    json = parseJsonExact(readTextFile(opts.record), opts.record).value as typeof json;
  } catch (e) {
    throw new Error(`cannot read a JSON record: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`${opts.record}: expected one JSON record object {terminalId, kind, timestamp, payload}`);
  // A record-proof file holds its record; otherwise the file is the record itself.
  const record = parseRecord(
    json.format === RECORD_PROOF_FORMAT || json.format === RECORD_PROOF_FORMAT_V1 ? json.record : json,
    opts.record,
  );
  const proofs = readProofs(opts.proof);
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const result = await verifyRecordOnChain(core, record, proofs);
  console.log(result.reason);
  if (result.batch) {
    console.log(`  batch ${result.batch.batchId}  root ${result.batch.merkleRoot}`);
    console.log(`  tx ${result.batch.txHash}  block ${result.batch.blockNumber}`);
    console.log(`  stream terminal ${result.batch.terminalId}  sequence ${result.batch.sequence}`);
  }
  if (result.terminal)
    console.log(`  record terminal ${result.terminal.id} (${result.terminal.kind}, ${result.terminal.status})`);
  if (result.signature) {
    const s = result.signature;
    console.log(`  package signed by ${s.signer}; the terminal's key at the record's time: ${s.expected}`);
  }
  process.exitCode = result.anchored ? 0 : 1;
  return result;
}

gridTask("verify", "Check whether a record is anchored on-chain, and in which batch, tx and block", (t) =>
  t
    .addParam("record", "A JSON record {terminalId, kind, timestamp, payload} (or a record-proof file)")
    .addParam("proof", "A record-proof file or a <file>.proofs.json written by grid:anchor / grid:run")
    .setAction(async (args: VerifyTaskOptions, hre) => {
      await runVerify(hre, args);
    }),
);
