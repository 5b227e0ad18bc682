import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HDNodeWallet } from "ethers";
import { acquisitionDomain, hashHeader, signHeader } from "../../src/chain/eip712";
import {
  DataType,
  TerminalKind,
  TriggerMode,
  type BatchHeader,
  type Location,
  type Policy,
} from "../../src/chain/types";

export const READING_POLICY: Policy = {
  tolerance: 600,
  timeScale: 900,
  maxRecords: 10_000,
  sensorCount: 6,
  trigger: TriggerMode.TimeDriven,
  enabled: true,
};

export const EVENT_POLICY: Policy = {
  tolerance: 3_600,
  timeScale: 60,
  maxRecords: 100,
  sensorCount: 1,
  trigger: TriggerMode.EventDriven,
  enabled: true,
};

export function location(bus: number, gridId = "ieee39"): Location {
  return { gridId: ethers.encodeBytes32String(gridId), bus, geohash: ethers.zeroPadBytes("0x", 12) };
}

export interface TestTerminal {
  id: string;
  wallet: HDNodeWallet;
}

export interface CoreOptions {
  terminals?: number;
  anchorerRequired?: boolean;
}

/**
 * Deploys the registry and the anchor contract with roles split over named accounts, plus terminals.
 * `ethers.getContractFactory("X")` is typed as TypeChain's `X__factory` (typechain-types/hardhat.d.ts), so
 * deployments come back as typed contracts with no cast, while the bytecode is still Hardhat's artifact, which
 * `npm run coverage` instruments.
 */
export async function deployCore(options: CoreOptions = {}) {
  const [admin, registrar, policyAdmin, anchorer, stranger] = await ethers.getSigners();
  const registry = await (await ethers.getContractFactory("TerminalRegistry")).deploy(admin.address);
  const acquisition = await (
    await ethers.getContractFactory("DataAcquisition")
  ).deploy(await registry.getAddress(), admin.address);
  await registry.grantRole(await registry.REGISTRAR_ROLE(), registrar.address);
  await acquisition.grantRole(await acquisition.POLICY_ADMIN_ROLE(), policyAdmin.address);
  await acquisition.grantRole(await acquisition.ANCHORER_ROLE(), anchorer.address);
  await acquisition.connect(policyAdmin).setPolicy(DataType.Reading, READING_POLICY);
  await acquisition.connect(policyAdmin).setPolicy(DataType.Event, EVENT_POLICY);
  if (options.anchorerRequired) await acquisition.setAnchorerRequired(true);

  const terminals: TestTerminal[] = [];
  for (let i = 0; i < (options.terminals ?? 2); i++) {
    const wallet = ethers.Wallet.createRandom();
    const id = ethers.id(`ieee39.bus${i + 1}.pmu`);
    await registry.connect(registrar).register(id, wallet.address, TerminalKind.PMU, location(i + 1), `ipfs://t${i}`);
    terminals.push({ id, wallet });
  }
  const { chainId } = await ethers.provider.getNetwork();
  const domain = acquisitionDomain(chainId, await acquisition.getAddress());
  return { registry, acquisition, admin, registrar, policyAdmin, anchorer, stranger, terminals, domain };
}

export const deployCoreDefault = () => deployCore();
export const deployCoreWithAnchorer = () => deployCore({ anchorerRequired: true });

type Core = Awaited<ReturnType<typeof deployCore>>;

/** The start of the next aligned reading window that has fully elapsed by `now + lead`. */
export async function nextAlignedWindow(timeScale = READING_POLICY.timeScale): Promise<bigint> {
  const now = await time.latest();
  return BigInt(Math.floor(now / timeScale) * timeScale + timeScale);
}

/** A builder for valid headers on a stream, tracking sequence and previous hash like a terminal would. */
export class StreamWriter {
  sequence = 0n;
  prevHeaderHash: string = ethers.ZeroHash;

  constructor(
    readonly core: Core,
    readonly terminal: TestTerminal,
    readonly dataType: number = DataType.Reading,
  ) {}

  header(overrides: Partial<BatchHeader> & { windowStart: bigint }): BatchHeader {
    return {
      dataType: this.dataType,
      terminalId: this.terminal.id,
      sequence: this.sequence + 1n,
      windowEnd: overrides.windowStart + BigInt(READING_POLICY.timeScale),
      recordCount: 96,
      merkleRoot: ethers.hexlify(ethers.randomBytes(32)),
      prevHeaderHash: this.prevHeaderHash,
      ...overrides,
    };
  }

  sign(header: BatchHeader, wallet: HDNodeWallet = this.terminal.wallet): string {
    return signHeader(wallet.privateKey, this.core.domain, header);
  }

  /** Marks a header as accepted so the next one chains from it. */
  advance(header: BatchHeader): void {
    this.sequence = header.sequence;
    this.prevHeaderHash = hashHeader(header);
  }

  /** Builds, signs and anchors the next batch over an elapsed window; returns the header and receipt. */
  async anchorNext(overrides: Partial<BatchHeader> = {}) {
    const windowStart = overrides.windowStart ?? (await nextAlignedWindow());
    const header = this.header({ ...overrides, windowStart });
    await time.setNextBlockTimestamp(Number(header.windowEnd) + 5);
    const tx = await this.core.acquisition.anchorBatch(header, this.sign(header));
    const receipt = await tx.wait();
    this.advance(header);
    return { header, tx, receipt };
  }
}
