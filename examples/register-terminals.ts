/** Registers two terminals (idempotent) and lists every registered terminal. */
import { connect, TERMINALS } from "./config";

async function main() {
  const { client, provider } = await connect();
  const report = await client.registerTerminals(TERMINALS);
  console.log(`registered ${report.registered.length}, already there ${report.alreadyRegistered.length}`);
  for (const t of await client.listTerminals()) {
    console.log(`terminal ${t.terminalId} ${t.kind} ${t.status} grid=${t.grid} bus=${t.bus} signer=${t.signer}`);
  }
  provider.destroy();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
