import { expect } from "chai";
import { hexlify, TypedDataEncoder } from "ethers";
import { acquisitionDomain, BATCH_HEADER_TYPES, hashHeader, headerDigest } from "../../src/chain/eip712";
import type { BatchHeader } from "../../src/chain/types";
import { createRng } from "../../src/common/rng";

describe("EIP-712 batch headers", function () {
  const rng = createRng(29);
  const hex32 = () => hexlify(Uint8Array.from({ length: 32 }, () => Math.floor(rng.next() * 256)));
  const uint = (bits: number) => BigInt(Math.floor(rng.next() * 2 ** Math.min(bits, 53)));
  const randomHeader = (): BatchHeader => ({
    dataType: Number(uint(16)),
    terminalId: hex32(),
    sequence: uint(64),
    windowStart: uint(64),
    windowEnd: uint(64),
    recordCount: Number(uint(32)),
    merkleRoot: hex32(),
    prevHeaderHash: hex32(),
  });
  const max = (bits: number) => (1n << BigInt(bits)) - 1n;

  it("hashes headers and digests exactly as ethers' generic encoder does", function () {
    const headers = Array.from({ length: 40 }, randomHeader);
    headers.push({
      ...randomHeader(),
      dataType: Number(max(16)),
      sequence: max(64),
      windowStart: 0n,
      windowEnd: max(64),
      recordCount: Number(max(32)),
      merkleRoot: `0x${"AB".repeat(32)}`,
    });
    for (const [i, header] of headers.entries()) {
      const domain = acquisitionDomain(BigInt(1 + (i % 3)), `0x${(i % 2 ? "12" : "34").repeat(20)}`);
      const values = header as unknown as Record<string, unknown>;
      expect(hashHeader(header)).to.equal(TypedDataEncoder.from(BATCH_HEADER_TYPES).hash(values));
      expect(headerDigest(domain, header)).to.equal(TypedDataEncoder.hash(domain, BATCH_HEADER_TYPES, values));
    }
  });

  it("names the field that does not fit its type", function () {
    const h = randomHeader();
    expect(() => hashHeader({ ...h, dataType: 65_536 })).to.throw("header.dataType: expected a uint16, got 65536");
    expect(() => hashHeader({ ...h, sequence: -1n })).to.throw("header.sequence: expected a uint64");
    expect(() => hashHeader({ ...h, windowEnd: 1n << 64n })).to.throw("header.windowEnd: expected a uint64");
    expect(() => hashHeader({ ...h, recordCount: 1.5 })).to.throw("header.recordCount: expected a uint32");
    expect(() => hashHeader({ ...h, merkleRoot: "0x1234" })).to.throw("header.merkleRoot: expected 0x followed by 64");
  });
});
