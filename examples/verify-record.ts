/** Verifies one record of PROOFS against the chain, then a copy with one reading changed. */
import { readProofs } from "../src/sdk/index.node";
import { connect, PROOFS } from "./config";

async function main() {
  const { client, provider } = await connect();
  const proofs = readProofs(PROOFS);
  const record = proofs[3].record;

  const good = await client.verifyRecord(record, proofs);
  console.log(`original: ${good.verdict} (${good.reason})`);
  if (good.batch) console.log(`  batch ${good.batch.batchId} tx ${good.batch.txHash} block ${good.batch.blockNumber}`);

  const tampered = { ...record, payload: { ...record.payload, p_mw: 999 } };
  const bad = await client.verifyRecord(tampered, proofs);
  console.log(`tampered: ${bad.verdict} (${bad.reason})`);
  provider.destroy();
  process.exitCode = good.anchored && bad.verdict === "tampered" ? 0 : 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
