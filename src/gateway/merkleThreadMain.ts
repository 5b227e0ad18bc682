// Entry of the gateway's Merkle thread (see merkleThread.ts).
import { workerData } from "node:worker_threads";
import { initMerkle } from "../merkle";
import { writeBatchTrees } from "./batchTrees";
import type { MerkleThreadSetup, TreeJob } from "./merkleThread";
import { serveThread } from "../common/threads";

const setup = workerData as MerkleThreadSetup;
serveThread(initMerkle(), (batches: TreeJob[]) => writeBatchTrees(setup.proofsDir, batches));
