// Entry of the gateway's Merkle thread (see merkleThread.ts).
import { parentPort, workerData } from "node:worker_threads";
import { initMerkle, rootOfLeafHashes } from "../merkle";
import { Journal } from "../pipeline/journal";
import { writePeriodProofs, type ProveContext } from "../pipeline/stages/prove";
import type { MerkleJob, MerkleReply, MerkleThreadSetup } from "./merkleThread";

const setup = workerData as MerkleThreadSetup;
let proving: ProveContext | undefined;
const ready = initMerkle();

function work(job: MerkleJob): MerkleReply {
  if (job.kind === "roots") return { id: job.id, roots: job.hashes.map((h) => rootOfLeafHashes(h)) };
  proving ??= {
    journal: new Journal(setup.journalPath, { readOnly: true }),
    chain: { chainId: setup.chainId, contracts: setup.contracts },
    proofsDir: setup.proofsDir,
  };
  writePeriodProofs(proving, job.period);
  return { id: job.id };
}

parentPort!.on("message", (job: MerkleJob) => {
  ready
    .then(() => work(job))
    .then(
      (reply) => parentPort!.postMessage(reply),
      (e: Error) => parentPort!.postMessage({ id: job.id, error: e.message } satisfies MerkleReply),
    );
});
