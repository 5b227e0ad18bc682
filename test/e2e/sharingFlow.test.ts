import { expect } from "chai";
import hre from "hardhat";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { futureWindow, mineAt, scratchDir, writeReadingsCsv } from "../helpers/scenario";
import { runTask, taskError } from "../helpers/tasks";
import { readDeployment, deploymentPath } from "../../src/chain/deployments.node";
import { connectGovernance } from "../../src/chain/contracts";
import { devAccountPublicKeys, parseBundleJson, sealBundle } from "../../src/sharing/index.node";
import { DEV_MNEMONIC } from "../../src/chain/keys";

const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);

/**
 * Naming, dataset registration, share and receive through the tasks on the in-process network: a provider
 * (account 1) shares two anchored batches with receivers; every refusal the brief names is checked.
 */
describe("sharing flow (tasks end to end)", function () {
  this.timeout(300_000);
  const dir = scratchDir("share");
  let accounts: string[];
  let proofsFiles: string[];
  let original: unknown[];
  let bundleFile: string;
  let firstWindow: number;
  let day1: string;

  /** The provider (account 1) grants `receiver` every record of day 1 in a bundle written to `file`. */
  async function shareDay1(receiver: string, file: string, expiry = "1d"): Promise<string> {
    return runTask("grid:share", {
      dataset: day1,
      receiver,
      expiry,
      proofs: proofsFiles.join(","),
      out: file,
      account: 1,
    });
  }

  before(async function () {
    accounts = (await hre.ethers.getSigners()).map((s) => s.address);
    await runTask("grid:deploy");
    const terminals = join(dir, "terminals.json");
    writeFileSync(terminals, JSON.stringify([{ id: "share.bus7.pmu", kind: "PMU", grid: "ieee39", bus: 7 }]));
    await runTask("grid:terminal:register", { file: terminals });
    const latest = (await send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    const w = futureWindow(Number(latest.timestamp));
    firstWindow = w;
    proofsFiles = [];
    for (const [i, start] of [w, w + 900].entries()) {
      const file = writeReadingsCsv(dir, `bus7-${i}.csv`, start, 8, i * 10);
      await mineAt(send, start + 900 + 5);
      await runTask("grid:anchor", { file, terminal: "share.bus7.pmu", type: 1 });
      proofsFiles.push(`${file}.proofs.json`);
    }
    original = proofsFiles.flatMap((f) =>
      JSON.parse(readFileSync(f, "utf8")).proofs.map((p: { record: unknown }) => p.record),
    );
  });

  it("names, registers and shares a dataset, and the receiver gets every record back exactly", async function () {
    expect(await runTask("grid:provider:certify", { provider: accounts[1] })).to.contain("is now a certified provider");
    // Certified is not enough: the admin authorises the provider for the terminals whose data it shares.
    const batchIds = proofsFiles.map((f) => JSON.parse(readFileSync(f, "utf8")).batch.batchId).join(",");
    const nonce = await hre.ethers.provider.getTransactionCount(accounts[1]);
    expect(await taskError("grid:dataset:register", { batches: batchIds, account: 1 })).to.match(
      new RegExp(
        `${accounts[1]} is not authorised to share the data of terminal 0x[0-9a-f]{64}: .*grid:share:authorise`,
      ),
    );
    expect(await hre.ethers.provider.getTransactionCount(accounts[1])).to.equal(nonce);
    expect(await taskError("grid:share:authorise", { provider: accounts[1], grid: "ieee39", account: 1 })).to.contain(
      `${accounts[1]} is not the DataSharing admin`,
    );
    expect(await runTask("grid:share:authorise", { provider: accounts[1], terminal: "share.bus7.pmu" })).to.match(
      new RegExp(`^${accounts[1]} is authorised to share terminal 0x[0-9a-f]{64} \\(tx 0x`),
    );
    expect(await runTask("grid:share:authorise", { provider: accounts[1], terminal: "share.bus7.pmu" })).to.contain(
      "(already so: nothing sent)",
    );
    expect(await runTask("grid:share:authorise", { provider: accounts[2], terminal: "share.bus77.pmu" })).to.match(
      /note: .* is not a certified provider yet[\s\S]*note: terminal share\.bus77\.pmu \(0x[0-9a-f]{64}\) is not registered \(yet\)/,
    );
    // Only the root registrar (the admin) creates top-level names; it hands "gz.e2e" to the provider.
    expect(await taskError("grid:name:register", { name: "gz.e2e.day1", account: 1 })).to.match(
      /"gz" is a top-level name: 0x[0-9a-fA-F]{40} lacks ROOT_REGISTRAR_ROLE/,
    );
    expect(await runTask("grid:name:register", { name: "gz.e2e", owner: accounts[1] })).to.contain(
      "created gz, gz.e2e",
    );
    const batches = proofsFiles.map((f) => JSON.parse(readFileSync(f, "utf8")).batch.batchId).join(",");
    const registered = await runTask("grid:dataset:register", {
      batches,
      uri: "ipfs://day1",
      name: "gz.e2e.day1",
      account: 1,
    });
    const datasetId = /Registered dataset (\d+)/.exec(registered)![1];
    day1 = datasetId;
    expect(registered).to.contain("Named it gz.e2e.day1");
    expect(await runTask("grid:name:resolve", { name: "gz.e2e.day1" })).to.match(
      new RegExp(`^gz\\.e2e\\.day1 -> dataset ${datasetId}  \\(owner ${accounts[1]}`),
    );

    bundleFile = join(dir, "day1.bundle.json");
    const shared = await runTask("grid:share", {
      dataset: "gz.e2e.day1",
      receiver: accounts[3],
      expiry: "1d",
      proofs: proofsFiles.join(","),
      out: bundleFile,
      account: 1,
    });
    expect(shared).to.match(/Shared 16 records of dataset \d+ \(2 batches\)/);
    expect(shared).to.contain("delivery logged in tx");

    const out = join(dir, "received");
    const received = await runTask("grid:receive", { bundle: bundleFile, out, ack: true });
    expect(received).to.contain("Received 16 records");
    expect(received).to.contain("receipt acknowledged on-chain");
    expect(JSON.parse(readFileSync(join(out, "records.json"), "utf8"))).to.deep.equal(original);
    // The per-batch proofs files written for the receiver re-verify with grid:verify.
    const record = join(dir, "one.json");
    writeFileSync(record, JSON.stringify(original[3]));
    const firstBatch = batches.split(",")[0];
    expect(await runTask("grid:verify", { record, proof: join(out, `batch-${firstBatch}.proofs.json`) })).to.match(
      /^ANCHORED in batch/,
    );

    const list = await runTask("grid:name:list");
    expect(list).to.contain(`gz.e2e.day1  -> dataset ${datasetId}`);
  });

  it("shares a stream dataset: only the records inside its time range", async function () {
    const registered = await runTask("grid:dataset:register", {
      terminal: "share.bus7.pmu",
      from: String(firstWindow),
      to: String(firstWindow + 900),
      account: 1,
    });
    const datasetId = /Registered dataset (\d+)/.exec(registered)![1];
    expect(await runTask("grid:dataset:show", { dataset: datasetId })).to.match(
      new RegExp(`^dataset ${datasetId}: stream 0x[0-9a-f]{64} over \\[.*Z, .*Z\\)`),
    );
    const file = join(dir, "stream.bundle.json");
    // Only the first batch overlaps the range, so its proofs file is enough.
    expect(
      await runTask("grid:share", {
        dataset: datasetId,
        receiver: accounts[8],
        expiry: "1d",
        proofs: proofsFiles[0],
        out: file,
        account: 1,
      }),
    ).to.match(/Shared 8 records of dataset \d+ \(1 batches\)/);
    const out = join(dir, "stream-received");
    expect(await runTask("grid:receive", { bundle: file, out })).to.contain("Received 8 records");
    expect(JSON.parse(readFileSync(join(out, "records.json"), "utf8"))).to.deep.equal(original.slice(0, 8));
  });

  it("refuses the wrong key: it cannot decrypt", async function () {
    expect(await taskError("grid:receive", { bundle: bundleFile, account: 4 })).to.contain(
      `this bundle is for ${accounts[3]}, and the key given is ${accounts[4]}'s: it cannot decrypt it`,
    );
  });

  it("detects a tampered ciphertext", async function () {
    const bundle = JSON.parse(readFileSync(bundleFile, "utf8"));
    const c = bundle.records.ciphertext as string;
    bundle.records.ciphertext = (c[0] === "A" ? "B" : "A") + c.slice(1);
    const tampered = join(dir, "tampered-ciphertext.json");
    writeFileSync(tampered, JSON.stringify(bundle));
    expect(await taskError("grid:receive", { bundle: tampered })).to.contain("the ciphertext was altered");
  });

  it("detects a tampered record, even in a bundle the provider sealed and granted", async function () {
    // A provider's tampered proofs file is refused before anything is sent...
    const proofs = JSON.parse(readFileSync(proofsFiles[0], "utf8"));
    proofs.proofs[2].record.payload.power_kw += 1;
    const bad = join(dir, "bad.proofs.json");
    writeFileSync(bad, JSON.stringify(proofs));
    expect(
      await taskError("grid:share", {
        dataset: "gz.e2e.day1",
        receiver: accounts[5],
        expiry: "1d",
        proofs: `${bad},${proofsFiles[1]}`,
        account: 1,
      }),
    ).to.contain("payload hash differs from the record's payload");
    // ...and a bundle sealed around a tampered record is caught by the receiver's proof check.
    const honest = parseBundleJson(readFileSync(bundleFile, "utf8"));
    const entries = proofsFiles.flatMap((f) => JSON.parse(readFileSync(f, "utf8")).proofs);
    entries[2].record.payload.power_kw += 1;
    const receiver = devAccountPublicKeys(DEV_MNEMONIC, 20).get(accounts[5].toLowerCase())!;
    const forged = sealBundle({
      datasetId: honest.datasetId,
      records: entries,
      receiverPublicKey: receiver,
      batches: honest.metadata.batches,
      chainId: honest.metadata.chainId,
      contract: honest.metadata.contract,
    });
    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    const deployment = readDeployment(deploymentPath("hardhat", chainId))!;
    const { sharing } = connectGovernance(
      { names: deployment.contracts.DataNameRegistry!.address, sharing: deployment.contracts.DataSharing!.address },
      (await hre.ethers.getSigners())[1],
    );
    const latest = await hre.ethers.provider.getBlock("latest");
    await (
      await sharing.grantAccess(honest.datasetId, accounts[5], latest!.timestamp + 3600, forged.ciphertextHash)
    ).wait();
    const file = join(dir, "forged.json");
    writeFileSync(file, JSON.stringify(forged));
    expect(await taskError("grid:receive", { bundle: file })).to.match(
      /1 of 16 record\(s\) failed verification: record 2 \(terminal 0x[0-9a-f]{8}…, t=\d+\): TAMPERED: payload hash differs/,
    );
  });

  it("refuses an expired grant with a clear message", async function () {
    const file = join(dir, "short.bundle.json");
    await shareDay1(accounts[6], file, "1h");
    await send("evm_increaseTime", [7200]);
    await send("evm_mine", []);
    expect(await taskError("grid:receive", { bundle: file })).to.match(
      new RegExp(`refused: the access of ${accounts[6]} on dataset \\d+ expired at .*Z \\(chain time .*Z\\)`),
    );
  });

  it("refuses a revoked grant with a clear message", async function () {
    expect(
      await taskError("grid:share:revoke", { dataset: "gz.e2e.day1", receiver: accounts[3], account: 2 }),
    ).to.contain(
      `${accounts[2]} may not revoke grants on dataset ${day1}: only its provider ${accounts[1]} or the DataSharing admin may`,
    );
    expect(
      await runTask("grid:share:revoke", { dataset: "gz.e2e.day1", receiver: accounts[3], account: 1 }),
    ).to.contain("Revoked");
    copyFileSync(bundleFile, join(dir, "after-revoke.json"));
    expect(await taskError("grid:receive", { bundle: join(dir, "after-revoke.json") })).to.match(
      new RegExp(`refused: the provider revoked the access of ${accounts[3]} on dataset \\d+ at .*Z`),
    );
  });

  it("lets the admin revoke any grant, and the receiver is told who did", async function () {
    const file = join(dir, "admin-revoked.bundle.json");
    await shareDay1(accounts[9], file);
    expect(await runTask("grid:share:revoke", { dataset: day1, receiver: accounts[9] })).to.contain(
      `Revoked ${accounts[9]}'s access to dataset ${day1}`,
    );
    expect(await taskError("grid:receive", { bundle: file })).to.match(
      new RegExp(`refused: the admin ${accounts[0]} revoked the access of ${accounts[9]} on dataset ${day1} at .*Z`),
    );
  });

  it("lets a receiver publish its key with a request, and transfers names", async function () {
    expect(await runTask("grid:share:request", { dataset: "gz.e2e.day1", account: 7, purpose: "study" })).to.contain(
      `${accounts[7]} asked for dataset`,
    );
    expect(await runTask("grid:name:transfer", { name: "gz.e2e.day1", to: accounts[7], account: 1 })).to.contain(
      `now belongs to ${accounts[7]}`,
    );
    expect(await taskError("grid:name:set", { name: "gz.e2e.day1", uri: "ipfs://x", account: 1 })).to.contain(
      `is owned by ${accounts[7]}`,
    );
    expect(await runTask("grid:name:set", { name: "gz.e2e.day1", uri: "ipfs://x", account: 7 })).to.contain(
      "gz.e2e.day1 -> metadata ipfs://x",
    );
  });

  it("voids every grant of a decertified provider, and a certification restored later starts clean", async function () {
    const file = join(dir, "decertified.bundle.json");
    await shareDay1(accounts[10], file);
    expect(await runTask("grid:provider:certify", { provider: accounts[1], revoke: true })).to.contain(
      "its datasets, their grants and its authorisations are void",
    );
    expect(await taskError("grid:receive", { bundle: file, account: 10 })).to.contain(
      `refused: the provider ${accounts[1]} was decertified after registering dataset ${day1}, which voids every grant on it`,
    );
    expect(await runTask("grid:dataset:show", { dataset: day1 })).to.contain(
      "(VOID: the provider was decertified since)",
    );

    await runTask("grid:provider:certify", { provider: accounts[1] });
    const batchIds = proofsFiles.map((f) => JSON.parse(readFileSync(f, "utf8")).batch.batchId).join(",");
    expect(await taskError("grid:dataset:register", { batches: batchIds, account: 1 })).to.contain(
      `${accounts[1]} is not authorised to share the data of terminal`,
    );
    expect(await taskError("grid:receive", { bundle: file, account: 10 })).to.contain("was decertified");
  });
});
