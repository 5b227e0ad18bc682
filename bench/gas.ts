/**
 * `npm run bench:gas`: gas of the core operations as transactions, on the in-process Hardhat network.
 * Prints a table and writes bench/results/gas.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { acquisitionDomain, hashHeader, signHeader } from "../src/chain/eip712";
import { DEFAULT_POLICIES } from "../src/chain/policies";
import { DataType, TerminalKind, type BatchHeader } from "../src/chain/types";
import { FastMerkleTree, initMerkle, LEAF_TYPES, type RecordLeaf } from "../src/merkle";
import type { DataAcquisition, TerminalRegistry } from "../typechain-types";

const STEADY_BATCHES = 20;
const TARGET_STEADY = 62_000;

function location(bus: number) {
  return { gridId: ethers.encodeBytes32String("ieee39"), bus, geohash: ethers.zeroPadBytes("0x", 12) };
}

function leaves(terminalId: string, n: number): RecordLeaf[] {
  return Array.from({ length: n }, (_, i) => [
    terminalId,
    1,
    1_800_000_000 + i,
    ethers.id(`payload ${i}`) as `0x${string}`,
  ]);
}

async function main() {
  await initMerkle();
  const [admin] = await ethers.getSigners();
  const registry = (await (
    await ethers.getContractFactory("TerminalRegistry")
  ).deploy(admin.address)) as unknown as TerminalRegistry;
  const acquisition = (await (
    await ethers.getContractFactory("DataAcquisition")
  ).deploy(await registry.getAddress(), admin.address)) as unknown as DataAcquisition;
  await acquisition.setPolicy(DataType.Reading, { ...DEFAULT_POLICIES[DataType.Reading], tolerance: 600 });
  const domain = acquisitionDomain((await ethers.provider.getNetwork()).chainId, await acquisition.getAddress());

  const gas: Record<string, number> = {};
  const terminal = ethers.Wallet.createRandom();
  const terminalId = ethers.id("bench.bus1.pmu");
  gas.registerTerminal = Number(
    (await (
      await registry.register(terminalId, terminal.address, TerminalKind.PMU, location(1), "ipfs://bench")
    ).wait())!.gasUsed,
  );
  const spare = ethers.Wallet.createRandom();
  const spareId = ethers.id("bench.bus2.meter");
  await registry.register(spareId, spare.address, TerminalKind.SmartMeter, location(2), "");
  gas.rotateKey = Number(
    (await (await registry.rotateSigner(spareId, ethers.Wallet.createRandom().address)).wait())!.gasUsed,
  );

  // Anchor a chain of batches on one stream, one 15-minute window each, 5 s after the window closes.
  let prev = ethers.ZeroHash;
  let windowStart = BigInt(Math.floor((await time.latest()) / 900 + 2) * 900);
  const anchorGas: number[] = [];
  async function anchor(root: string, sequence: bigint, recordCount: number): Promise<void> {
    const header: BatchHeader = {
      dataType: DataType.Reading,
      terminalId,
      sequence,
      windowStart,
      windowEnd: windowStart + 900n,
      recordCount,
      merkleRoot: root,
      prevHeaderHash: prev,
    };
    await time.setNextBlockTimestamp(Number(header.windowEnd) + 5);
    const receipt = await (
      await acquisition.anchorBatch(header, signHeader(terminal.privateKey, domain, header))
    ).wait();
    anchorGas.push(Number(receipt!.gasUsed));
    prev = hashHeader(header);
    windowStart += 900n;
  }
  const tree10 = FastMerkleTree.of(leaves(terminalId, 1024), LEAF_TYPES);
  const tree16 = StandardMerkleTree.of(leaves(terminalId, 16), [...LEAF_TYPES]);
  await anchor(tree10.root, 1n, 1024);
  await anchor(tree16.root, 2n, 16);
  // Depth 20 needs 2^20 leaves; the verifier only folds one path, so fold a 20-sibling path to a root instead.
  const leaf20 = tree10.leafHash(0);
  const proof20 = Array.from({ length: 20 }, (_, i) => ethers.id(`sibling ${i}`));
  const root20 = proof20.reduce(
    (acc, sib) =>
      BigInt(acc) < BigInt(sib)
        ? ethers.keccak256(ethers.concat([acc, sib]))
        : ethers.keccak256(ethers.concat([sib, acc])),
    leaf20,
  );
  await anchor(root20, 3n, 1_000_000);
  for (let s = 4n; s < 4n + BigInt(STEADY_BATCHES); s++) await anchor(ethers.hexlify(ethers.randomBytes(32)), s, 96);
  gas.anchorBatchFirst = anchorGas[0];
  const steady = anchorGas.slice(3);
  gas.anchorBatchSteady = Math.round(steady.reduce((a, b) => a + b, 0) / steady.length);
  gas.anchorBatchSteadyMax = Math.max(...steady);

  const [t0, kind, ts, payload] = tree10.at(5);
  const leaf10 = { terminalId: t0, kind, timestamp: ts, payloadHash: payload };
  const proof10 = tree10.getProof(5);
  if (proof10.length !== 10 || !(await acquisition.verifyRecord(1n, proof10, leaf10)))
    throw new Error("depth-10 proof does not verify");
  gas.verifyDepth10 = Number(await acquisition.verifyRecord.estimateGas(1n, proof10, leaf10));
  if (!(await acquisition.verifyLeafHash(3n, proof20, leaf20))) throw new Error("depth-20 proof does not verify");
  gas.verifyDepth20 = Number(await acquisition.verifyLeafHash.estimateGas(3n, proof20, leaf20));
  const multi = tree16.getMultiProof([0, 3, 5, 6, 9, 10, 12, 15]);
  const multiLeaves = multi.leaves.map(([terminal, k, t, p]) => ({
    terminalId: terminal,
    kind: k,
    timestamp: t,
    payloadHash: p,
  }));
  if (!(await acquisition.verifyRecords(2n, multi.proof, multi.proofFlags, multiLeaves)))
    throw new Error("multiproof does not verify");
  gas.multiProof16 = Number(
    await acquisition.verifyRecords.estimateGas(2n, multi.proof, multi.proofFlags, multiLeaves),
  );

  // Several batches in one transaction through Multicall: k streams, one batch each (steady state, sequence 2).
  await acquisition.setPolicy(DataType.Transaction, { ...DEFAULT_POLICIES[DataType.Transaction], tolerance: 600 });
  const streams = Array.from({ length: 8 }, (_, i) => ({
    wallet: ethers.Wallet.createRandom(),
    id: ethers.id(`bench.bus${10 + i}.pmu`),
    prev: ethers.ZeroHash,
    seq: 0n,
  }));
  for (const [i, st] of streams.entries())
    await registry.register(st.id, st.wallet.address, TerminalKind.PMU, location(10 + i), "");
  async function multicall(k: number, types: number[]): Promise<number> {
    const calls: string[] = [];
    for (let i = 0; i < k; i++) {
      const st = streams[types.length > 1 ? 0 : i];
      const header: BatchHeader = {
        dataType: types[i % types.length],
        terminalId: st.id,
        sequence: st.seq + 1n,
        windowStart,
        windowEnd: windowStart + 900n,
        recordCount: 96,
        merkleRoot: ethers.hexlify(ethers.randomBytes(32)),
        prevHeaderHash: st.prev,
      };
      calls.push(
        acquisition.interface.encodeFunctionData("anchorBatch", [
          header,
          signHeader(st.wallet.privateKey, domain, header),
        ]),
      );
      st.seq = header.sequence;
      st.prev = hashHeader(header);
    }
    await time.setNextBlockTimestamp(Number(windowStart + 900n) + 5);
    const receipt = await (await acquisition.multicall(calls)).wait();
    windowStart += 900n;
    return Math.round(Number(receipt!.gasUsed) / k);
  }
  await multicall(8, [DataType.Reading]); // first batch of every stream: not steady state
  await multicall(2, [DataType.Reading, DataType.Transaction]);
  gas.multicallPerBatchK2SameStream = await multicall(2, [DataType.Reading, DataType.Transaction]);
  for (const k of [2, 4, 8]) gas[`multicallPerBatchK${k}`] = await multicall(k, [DataType.Reading]);

  const rows = Object.entries(gas).map(([operation, used]) => ({ operation, gas: used }));
  console.table(rows);
  console.log(
    `anchorBatch steady state: ${gas.anchorBatchSteady} gas (target <= ${TARGET_STEADY}: ${gas.anchorBatchSteady <= TARGET_STEADY ? "met" : "NOT met"})`,
  );
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    "bench/results/gas.json",
    `${JSON.stringify({ network: "hardhat", solc: require("solc/package.json").version, steadyBatches: STEADY_BATCHES, multiProof16Leaves: multi.leaves.length, targetSteady: TARGET_STEADY, gas }, null, 2)}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
