import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { CoreContracts } from "../../src/chain/contracts";
import { multicallViews } from "../../src/chain/multicallViews";
import { readDirectory } from "../../src/pipeline/stages/setup";
import { registerTerminals, type TerminalSpec } from "../../src/terminals/registration";
import { deployCore, location } from "../helpers/fixtures";

const TERMINALS = 300;

async function deployWithRegistrar() {
  const core = await deployCore({ terminals: 0 });
  const specs: TerminalSpec[] = Array.from({ length: TERMINALS }, (_, i) => ({
    label: `bulk.bus${i}.pmu`,
    terminalId: ethers.id(`bulk.bus${i}.pmu`),
    signer: ethers.Wallet.createRandom().address,
    kind: "PMU",
    location: { ...location(i + 1), geohash: `0x${"00".repeat(12)}` },
    metadataURI: "",
    line: i + 1,
  }));
  return { ...core, specs };
}

/** Counts the eth_call round trips `fn` makes through the Hardhat network provider (hardhat-ethers uses send). */
async function countCalls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const provider = network.provider as { send: (method: string, params?: unknown[]) => Promise<unknown> };
  const original = provider.send;
  let calls = 0;
  provider.send = (method, params) => {
    if (method === "eth_call") calls++;
    return original.call(provider, method, params);
  };
  try {
    return { result: await fn(), calls };
  } finally {
    provider.send = original;
  }
}

describe("multicallViews (packed registry reads)", function () {
  it("decodes each view's result in order, across several eth_calls", async function () {
    const { registry, specs, registrar } = await loadFixture(deployWithRegistrar);
    const core = { registry: registry.connect(registrar) } as unknown as CoreContracts;
    await registerTerminals(core, specs.slice(0, 5));
    const ids = specs.slice(0, 7).map((s) => [s.terminalId]);
    const { result, calls } = await countCalls(() => multicallViews(registry, "signerAndStatus", ids, 3));
    expect(calls).to.equal(3);
    expect(result.map((r) => [r[0], Number(r[1])])).to.deep.equal([
      ...specs.slice(0, 5).map((s) => [s.signer, 1]),
      [ethers.ZeroAddress, 0],
      [ethers.ZeroAddress, 0],
    ]);
  });

  it("registers and reads back hundreds of terminals in a few eth_calls, not one per terminal", async function () {
    const { registry, specs, registrar } = await loadFixture(deployWithRegistrar);
    const core = { registry: registry.connect(registrar) } as unknown as CoreContracts;
    // Two packed reads plus one preflight per registration transaction (before: two reads per terminal).
    const registered = await countCalls(() => registerTerminals(core, specs));
    expect(registered.result.registered).to.have.length(TERMINALS);
    expect(registered.calls).to.be.at.most(2 * Math.ceil(TERMINALS / 250) + Math.ceil(TERMINALS / 40));
    const again = await countCalls(() => registerTerminals(core, specs));
    expect(again.result.alreadyRegistered).to.have.length(TERMINALS);
    expect(again.calls).to.be.at.most(2);

    const read = await countCalls(() => readDirectory(core, specs));
    expect(read.calls).to.equal(2);
    expect(read.result.size).to.equal(TERMINALS);
    expect(read.result.get(specs[7].terminalId.toLowerCase())).to.deep.equal({
      label: specs[7].label,
      signer: specs[7].signer,
      active: true,
    });
  });
});
