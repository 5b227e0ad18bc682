// Entry of the gateway's Merkle thread (see merkleThread.ts).
import { parentPort, workerData } from "node:worker_threads";
import { initMerkle } from "../merkle";
import { writeBatchTrees } from "./batchTrees";
import type { MerkleJob, MerkleReply, MerkleThreadSetup } from "./merkleThread";

const setup = workerData as MerkleThreadSetup;
const ready = initMerkle();

function work(job: MerkleJob): MerkleReply {
  return { id: job.id, roots: writeBatchTrees(setup.proofsDir, job.batches) };
}

parentPort!.on("message", (job: MerkleJob) => {
  ready
    .then(() => work(job))
    .then(
      (reply) => parentPort!.postMessage(reply),
      (e: Error) => parentPort!.postMessage({ id: job.id, error: e.message } satisfies MerkleReply),
    );
});
