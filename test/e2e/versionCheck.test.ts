import { expect } from "chai";
import hre from "hardhat";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_VERSION } from "../../src/chain/contracts";
import { scratchDir } from "../helpers/scenario";
import { runTask, taskError } from "../helpers/tasks";

/** The tools check `version()` of every contract they connect to, and deploy replaces contracts of another release. */
describe("contract version check", function () {
  const saved = process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
  let file: string;
  let stub: string;

  before(async function () {
    const dir = scratchDir("versions");
    process.env.GRIDLEDGER_DEPLOYMENTS_DIR = dir;
    await runTask("grid:deploy", {});
    file = join(dir, `hardhat-${(await hre.ethers.provider.getNetwork()).chainId}.json`);
    const old = await (await hre.ethers.getContractFactory("VersionStub")).deploy("1.0.0");
    stub = await old.getAddress();
  });

  after(function () {
    if (saved === undefined) delete process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
    else process.env.GRIDLEDGER_DEPLOYMENTS_DIR = saved;
  });

  /** Points one contract of the recorded deployment at the version-1.0.0 stub. */
  function recordStubAs(name: string): void {
    const deployment = JSON.parse(readFileSync(file, "utf8"));
    deployment.contracts[name].address = stub;
    writeFileSync(file, JSON.stringify(deployment));
  }

  it("refuses to use a core contract of another release, naming contract, address and versions", async function () {
    recordStubAs("DataAcquisition");
    expect(await taskError("grid:batches", {})).to.contain(
      `DataAcquisition at ${stub} is version 1.0.0, but these tools expect version ${CONTRACT_VERSION}`,
    );
  });

  it("refuses a governance contract of another release", async function () {
    await runTask("grid:deploy", {});
    recordStubAs("DataSharing");
    expect(await taskError("grid:dataset:show", { dataset: "1" })).to.contain(
      `DataSharing at ${stub} is version 1.0.0, but these tools expect version ${CONTRACT_VERSION}`,
    );
  });

  it("deploys again over a recorded contract of another release, saying why", async function () {
    await runTask("grid:deploy", {});
    recordStubAs("DataNameRegistry");
    const output = await runTask("grid:deploy", {});
    expect(output).to.contain(
      `DataNameRegistry: DataNameRegistry at ${stub} is version 1.0.0, expected ${CONTRACT_VERSION}`,
    );
    expect(output).to.match(/DataNameRegistry: deployed at 0x/);
    expect(await runTask("grid:deploy", {})).to.contain("Nothing to deploy");
  });
});
