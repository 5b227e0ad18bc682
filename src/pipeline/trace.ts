import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Provider } from "ethers";
import { connectCore } from "../chain/contracts";
import { readProofs } from "../chain/proofs.node";
import { leafStruct } from "../chain/verify";
import { checkRecordProof, initMerkle } from "../merkle";
import { Journal, type JournalBatch, type JournalRecord } from "./journal";

export interface TraceResult {
  record: JournalRecord;
  batch?: JournalBatch;
  /** Problems found re-deriving the proof offline (empty: the proof file proves the record against its root). */
  proofProblems: string[];
  /** True/false when the chain was asked; null when the run's chain is not reachable at this provider. */
  verifiesOnChain: boolean | null;
  chainNote: string;
}

/** Finds a record of a run (by record id or leaf hash) and follows it to its batch, transaction and block. */
export async function traceRecord(runDir: string, idOrLeaf: string, provider: Provider): Promise<TraceResult> {
  const path = join(runDir, "journal.sqlite");
  if (!existsSync(path)) throw new Error(`no run at ${runDir} (expected ${path})`);
  const journal = new Journal(path);
  try {
    const record = journal.findRecord(idOrLeaf);
    if (!record) throw new Error(`run ${runDir} has no record with id or leaf hash ${idOrLeaf}`);
    if (record.status !== "anchored" || !record.batchKey) {
      return {
        record,
        proofProblems: [],
        verifiesOnChain: null,
        chainNote: "not anchored, so there is nothing on-chain to check",
      };
    }
    const batch = journal.batches().find((b) => b.batchKey === record.batchKey)!;
    await initMerkle();
    const proof = readProofs(join(runDir, "proofs", `${batch.batchKey}.json`)).find(
      (p) => p.leafHash === record.leafHash,
    );
    if (!proof) throw new Error(`proofs/${batch.batchKey}.json has no proof for leaf ${record.leafHash}`);
    const proofProblems = checkRecordProof(proof);
    const chain = journal.getMeta<{ contracts: Record<string, string>; chainId: string }>("chain")!;
    const chainId = (await provider.getNetwork()).chainId.toString();
    const address = chain.contracts.DataAcquisition;
    if (chainId !== chain.chainId || (await provider.getCode(address)) === "0x") {
      const why =
        chainId !== chain.chainId
          ? `the run was on chain ${chain.chainId}, this network is chain ${chainId}`
          : `DataAcquisition ${address} has no code here (the in-process Hardhat network starts empty in every command: trace on-chain with --network localhost or anvil)`;
      return { record, batch, proofProblems, verifiesOnChain: null, chainNote: why };
    }
    const core = connectCore({ registry: chain.contracts.TerminalRegistry, acquisition: address }, provider);
    // The proof's leaf fields (checked against the record above), by root: the contract hashes the fields itself.
    const verifiesOnChain = await core.acquisition.verifyRecord(batch.root, proof.proof, leafStruct(proof.leaf));
    return {
      record,
      batch,
      proofProblems,
      verifiesOnChain,
      chainNote: `checked now against DataAcquisition ${address} on chain ${chainId}`,
    };
  } finally {
    journal.close();
  }
}
