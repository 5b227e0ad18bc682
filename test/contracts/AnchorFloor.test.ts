import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployCore, EVENT_POLICY, nextAlignedWindow, READING_POLICY, StreamWriter } from "../helpers/fixtures";
import { acquisitionDomain, hashHeader } from "../../src/chain/eip712";
import { DataType, TerminalStatus } from "../../src/chain/types";
import type { BatchHeader } from "../../src/chain/types";

/**
 * The gas-floor harness (contracts/test/AnchorFloor.sol) is only worth its figure in bench/gas.ts if it makes every
 * check DataAcquisition makes: these tests hold it to the same acceptance and the same rejections.
 */
describe("AnchorFloor (gas-bench harness)", function () {
  async function deployFloor() {
    const core = await deployCore();
    const floor = await (await ethers.getContractFactory("AnchorFloor")).deploy(await core.registry.getAddress());
    await floor.setPolicy(DataType.Reading, READING_POLICY);
    await floor.setPolicy(DataType.Event, EVENT_POLICY);
    const { chainId } = await ethers.provider.getNetwork();
    return { ...core, floor, floorDomain: acquisitionDomain(chainId, await floor.getAddress()) };
  }

  /** The deployment from the snapshot, with a fresh stream writer (its sequence lives outside the chain). */
  async function fixture() {
    const deployed = await loadFixture(deployFloor);
    const stream = new StreamWriter({ ...deployed, domain: deployed.floorDomain }, deployed.terminals[0]);
    return { ...deployed, stream };
  }

  /** A valid next header of the stream over an elapsed window, with the block clock set 5 s after it. */
  async function nextHeader(stream: StreamWriter, overrides: Partial<BatchHeader> = {}) {
    const header = stream.header({ windowStart: await nextAlignedWindow(), ...overrides });
    await time.setNextBlockTimestamp(Number(header.windowEnd) + 5);
    return header;
  }

  it("anchors a hash-chained stream, writes each root once and emits the three topics", async function () {
    const { floor, stream } = await fixture();
    const first = await nextHeader(stream);
    await expect(floor.anchor(first, stream.sign(first)))
      .to.emit(floor, "Anchored")
      .withArgs(first.terminalId, 1n, first.merkleRoot);
    stream.advance(first);
    const second = await nextHeader(stream);
    expect(second.prevHeaderHash).to.equal(hashHeader(first));
    await expect(floor.anchor(second, stream.sign(second)))
      .to.emit(floor, "Anchored")
      .withArgs(second.terminalId, 2n, second.merkleRoot);
    const [anchoredAt, batchId, terminalId] = await floor.rootRecord(second.merkleRoot);
    expect(anchoredAt).to.equal(BigInt(await time.latest()));
    expect(batchId).to.equal(0n);
    expect(terminalId).to.equal(second.terminalId);
  });

  it("anchorCounted numbers batches 1, 2, ..., stores the id with the root and emits BatchAnchored", async function () {
    const { floor, stream, acquisition } = await fixture();
    for (const id of [1n, 2n]) {
      const header = await nextHeader(stream);
      const receipt = await (await floor.anchorCounted(header, stream.sign(header))).wait();
      // The same event, topics and data as DataAcquisition's, decoded with its ABI.
      const [log] = receipt!.logs.map((l) => acquisition.interface.parseLog(l));
      expect(log!.name).to.equal("BatchAnchored");
      expect([...log!.args]).to.deep.equal([
        id,
        header.terminalId,
        header.merkleRoot,
        BigInt(header.dataType),
        header.sequence,
        header.windowStart,
        header.windowEnd,
        BigInt(header.recordCount),
        hashHeader(header),
      ]);
      const record = await floor.rootRecord(header.merkleRoot);
      expect([record.batchId, record.terminalId]).to.deep.equal([id, header.terminalId]);
      stream.advance(header);
    }
  });

  it("extends the tolerance by the pause after the window closed, as DataAcquisition does", async function () {
    const { floor, stream } = await fixture();
    const header = stream.header({ windowStart: await nextAlignedWindow() });
    const end = Number(header.windowEnd);
    await time.setNextBlockTimestamp(end - 60);
    await floor.setPaused(true);
    await time.setNextBlockTimestamp(end + 7_200);
    await floor.setPaused(false);
    await time.setNextBlockTimestamp(end + 7_200 + READING_POLICY.tolerance);
    await expect(floor.anchor(header, stream.sign(header))).to.emit(floor, "Anchored");
    stream.advance(header);
    // A window that closed after the last pause gets the plain tolerance only.
    const late = stream.header({ windowStart: await nextAlignedWindow() });
    const lateAt = Number(late.windowEnd) + READING_POLICY.tolerance + 1;
    await time.setNextBlockTimestamp(lateAt);
    await expect(floor.anchor(late, stream.sign(late)))
      .to.be.revertedWithCustomError(floor, "StaleWindow")
      .withArgs(late.windowEnd, lateAt, READING_POLICY.tolerance);
  });

  it("refuses while paused, in both variants", async function () {
    const { floor, stream } = await fixture();
    await floor.setPaused(true);
    const header = await nextHeader(stream);
    await expect(floor.anchor(header, stream.sign(header))).to.be.revertedWithCustomError(floor, "Paused");
    await expect(floor.anchorCounted(header, stream.sign(header))).to.be.revertedWithCustomError(floor, "Paused");
  });

  it("rejects a zero root and a root written before", async function () {
    const { floor, stream } = await fixture();
    const zero = await nextHeader(stream, { merkleRoot: ethers.ZeroHash });
    await expect(floor.anchor(zero, stream.sign(zero))).to.be.revertedWithCustomError(floor, "ZeroMerkleRoot");
    const first = await nextHeader(stream);
    await floor.anchor(first, stream.sign(first));
    stream.advance(first);
    const replay = await nextHeader(stream, { merkleRoot: first.merkleRoot });
    await expect(floor.anchor(replay, stream.sign(replay)))
      .to.be.revertedWithCustomError(floor, "RootAlreadyAnchored")
      .withArgs(first.merkleRoot, 0n);
  });

  it("checks the policy: known type, record count, window alignment and the clock", async function () {
    const { floor, stream } = await fixture();
    const unknown = await nextHeader(stream, { dataType: 42 });
    await expect(floor.anchor(unknown, stream.sign(unknown)))
      .to.be.revertedWithCustomError(floor, "UnknownDataType")
      .withArgs(42);
    const tooMany = await nextHeader(stream, { recordCount: READING_POLICY.maxRecords + 1 });
    await expect(floor.anchor(tooMany, stream.sign(tooMany)))
      .to.be.revertedWithCustomError(floor, "RecordCountOutOfRange")
      .withArgs(READING_POLICY.maxRecords + 1, READING_POLICY.maxRecords);
    const start = await nextAlignedWindow();
    const skewed = stream.header({ windowStart: start + 1n, windowEnd: start + 901n });
    await time.setNextBlockTimestamp(Number(skewed.windowEnd) + 5);
    await expect(floor.anchor(skewed, stream.sign(skewed)))
      .to.be.revertedWithCustomError(floor, "WindowNotAligned")
      .withArgs(start + 1n, start + 901n, READING_POLICY.timeScale);

    const late = stream.header({ windowStart: await nextAlignedWindow() });
    const lateAt = Number(late.windowEnd) + READING_POLICY.tolerance + 1;
    await time.setNextBlockTimestamp(lateAt);
    await expect(floor.anchor(late, stream.sign(late)))
      .to.be.revertedWithCustomError(floor, "StaleWindow")
      .withArgs(late.windowEnd, lateAt, READING_POLICY.tolerance);
    const early = stream.header({ windowStart: await nextAlignedWindow() });
    const earlyAt = Number(early.windowEnd) - 1;
    await time.setNextBlockTimestamp(earlyAt);
    await expect(floor.anchor(early, stream.sign(early)))
      .to.be.revertedWithCustomError(floor, "WindowInFuture")
      .withArgs(early.windowEnd, earlyAt);

    const event = await nextHeader(stream, {
      dataType: DataType.Event,
      windowEnd: (await nextAlignedWindow()) + BigInt(EVENT_POLICY.timeScale) + 1n,
    });
    await expect(floor.anchor(event, stream.sign(event))).to.be.revertedWithCustomError(floor, "WindowNotAligned");
  });

  it("reads the registry: an inactive terminal or a key that is not its current one is refused", async function () {
    const { floor, stream, registry, registrar, terminals } = await fixture();
    const wrongKey = await nextHeader(stream);
    const other = terminals[1].wallet;
    await expect(floor.anchor(wrongKey, stream.sign(wrongKey, other)))
      .to.be.revertedWithCustomError(floor, "SignerMismatch")
      .withArgs(wrongKey.terminalId, other.address, terminals[0].wallet.address);
    await registry.connect(registrar).suspend(terminals[0].id);
    const suspended = await nextHeader(stream);
    await expect(floor.anchor(suspended, stream.sign(suspended)))
      .to.be.revertedWithCustomError(floor, "TerminalNotActive")
      .withArgs(terminals[0].id, TerminalStatus.Suspended);
  });

  it("enforces the hash chain: sequence = last + 1 and the previous header's hash", async function () {
    const { floor, stream } = await fixture();
    const first = await nextHeader(stream);
    await floor.anchor(first, stream.sign(first));
    stream.advance(first);
    for (const overrides of [{ sequence: 3n }, { sequence: 0n }, { prevHeaderHash: ethers.id("fork") }]) {
      const bad = await nextHeader(stream, overrides);
      await expect(floor.anchor(bad, stream.sign(bad)))
        .to.be.revertedWithCustomError(floor, "StreamTipMismatch")
        .withArgs(bad.terminalId, bad.sequence, bad.prevHeaderHash);
    }
  });
});
