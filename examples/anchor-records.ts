/**
 * Anchors twelve PMU readings of the last closed 15-minute window as one batch signed by the terminal's
 * development key, and writes every record's proof to PROOFS.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { devTerminalWallet, RecordKind, toTerminalId, type GridRecord } from "../src/sdk/index.node";
import { connect, PROOFS, TERMINALS } from "./config";

async function main() {
  const { client, provider } = await connect();
  const terminal = TERMINALS[0].id;
  const terminalId = toTerminalId(terminal);
  // The default reading policy takes aligned 15-minute windows up to 15 minutes after they close.
  const now = Math.floor(Date.now() / 1000);
  const windowStart = Math.floor(now / 900) * 900 - 900;
  const records: GridRecord[] = Array.from({ length: 12 }, (_, i) => ({
    terminalId,
    kind: RecordKind.Reading,
    timestamp: windowStart + 75 * i,
    payload: { voltage_kv: 345.2 + i / 10, current_a: 812 - i, frequency_hz: 50.01, p_mw: 485.5 + i },
  }));
  const result = await client.anchorBatch({
    records,
    terminal,
    dataType: 1,
    key: devTerminalWallet(terminalId),
    now,
  });
  mkdirSync(dirname(PROOFS), { recursive: true });
  writeFileSync(PROOFS, `${JSON.stringify(result.proofs, null, 2)}\n`);
  console.log(
    `${result.status} batch ${result.batchId} root ${result.tree.root} tx ${result.txHash ?? "-"} block ${result.blockNumber}`,
  );
  console.log(`proofs written to ${PROOFS}`);
  provider.destroy();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
