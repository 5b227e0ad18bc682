import { createECDH, hkdfSync } from "node:crypto";
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  Bundle,
  ECIES_HKDF_INFO,
  ECIES_HKDF_SALT,
  SharingError,
  SharingErrorCode,
  bundleCiphertextHash,
  deriveWrappingKey,
  devAccountPublicKeys,
  ecdhSharedX,
  openBundle,
  parseBundleJson,
  parsePrivateKey,
  parsePublicKey,
  publicKeyFromSignature,
  publicKeyOfPrivateKey,
  resolveReceiver,
  sealBundle,
  serialiseRecords,
} from "../../src/sharing/index.node";

const hex = (b: Uint8Array): string => "0x" + Buffer.from(b).toString("hex");
const RECEIVER_SK = parsePrivateKey("0x" + "22".repeat(32));
const OTHER_SK = parsePrivateKey("0x" + "33".repeat(32));
const RECEIVER = publicKeyOfPrivateKey(RECEIVER_SK);
const ROOT = "0x" + "ab".repeat(32);

const RECORDS = [
  { terminal: "gz.ieee39.bus13.pmu", t: "2012-01-01T05:00:00Z", mw: 0.1, q: -2.5e-7, seq: 0 },
  { note: "naïve café – 電力 🌍⚡ e\u0301", empty: "", nil: null, ok: true, nested: [1, [2, { x: 3.14159 }]] },
  {
    energyWh: "123456789012345678901234567890",
    max: Number.MAX_SAFE_INTEGER,
    tiny: 5e-324,
    big: 1.7976931348623157e308,
  },
];

function seal(): Bundle {
  return sealBundle({
    datasetId: "42",
    records: RECORDS,
    receiverPublicKey: hex(RECEIVER.uncompressed),
    batches: [{ batchId: "7", root: ROOT }],
    chainId: 31337,
  });
}

/** A deep copy, as a receiver reading the bundle file would get it. */
const copy = (b: Bundle): Bundle => JSON.parse(JSON.stringify(b)) as Bundle;

function flipHex(h: string, at = 4): string {
  const c = h[at] === "0" ? "1" : "0";
  return h.slice(0, at) + c + h.slice(at + 1);
}
function flipBase64(b64: string, at = 0): string {
  const bytes = Buffer.from(b64, "base64");
  bytes[at] ^= 0x01;
  return bytes.toString("base64");
}

function expectSharingError(fn: () => unknown, code: SharingErrorCode, text: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a SharingError").to.be.instanceOf(SharingError);
  expect((caught as SharingError).code).to.equal(code);
  expect((caught as SharingError).message).to.contain(text);
}

describe("sharing", function () {
  describe("ECDH + HKDF key derivation", function () {
    // Known answer computed independently with node:crypto (createECDH + hkdfSync) for e = 0x11..11, r = 0x22..22.
    const E_SK = parsePrivateKey("0x" + "11".repeat(32));
    const E_PUB = "0x034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa";
    const R_PUB = "0x02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27";
    const SHARED_X = "0x77e0510d5042e2f5e9e59c977b81eeed590cf7d20c1c51da451a8eaa9fdc45ff";
    const KEK = "0x55c8967233c3f2ee6b45c0229451df9dd57e80e71910af28e35cfa9e584d836e";

    it("matches the known-answer vector on both sides of the exchange", function () {
      expect(hex(publicKeyOfPrivateKey(E_SK).compressed)).to.equal(E_PUB);
      expect(hex(RECEIVER.compressed)).to.equal(R_PUB);
      const senderSide = ecdhSharedX(E_SK, parsePublicKey(R_PUB).compressed);
      const receiverSide = ecdhSharedX(RECEIVER_SK, parsePublicKey(E_PUB).uncompressed);
      expect(hex(senderSide)).to.equal(SHARED_X);
      expect(hex(receiverSide)).to.equal(SHARED_X);
      expect(hex(deriveWrappingKey(parsePublicKey(E_PUB).compressed, senderSide))).to.equal(KEK);
    });

    it("agrees with node:crypto for other keys", function () {
      const ecdh = createECDH("secp256k1");
      ecdh.setPrivateKey(Buffer.from(OTHER_SK));
      const ePub = new Uint8Array(ecdh.getPublicKey(null, "compressed"));
      const z = ecdh.computeSecret(Buffer.from(RECEIVER.compressed));
      const expected = hkdfSync("sha256", Buffer.concat([ePub, z]), ECIES_HKDF_SALT, ECIES_HKDF_INFO, 32);
      expect(hex(deriveWrappingKey(ePub, ecdhSharedX(RECEIVER_SK, ePub)))).to.equal(hex(new Uint8Array(expected)));
    });
  });

  describe("sealBundle / openBundle", function () {
    it("round-trips every record exactly, byte for byte", function () {
      const opened = openBundle(copy(seal()), RECEIVER_SK);
      expect(opened.records).to.deep.equal(RECORDS);
      expect(Buffer.from(opened.plaintext).equals(Buffer.from(serialiseRecords(RECORDS)))).to.equal(true);
      expect(JSON.stringify(opened.records)).to.equal(JSON.stringify(RECORDS));
      const third = opened.records[2] as Record<string, unknown>;
      expect(third.energyWh).to.equal("123456789012345678901234567890");
      expect((opened.records[0] as Record<string, unknown>).mw).to.equal(0.1);
      expect(opened.metadata).to.deep.equal({
        recordCount: 3,
        batches: [{ batchId: "7", root: ROOT }],
        chainId: 31337,
      });
      expect(opened.datasetId).to.equal("42");
    });

    it("addresses the same receiver whether the key is compressed, uncompressed or raw x||y", function () {
      const forms = [hex(RECEIVER.compressed), hex(RECEIVER.uncompressed), hex(RECEIVER.uncompressed.subarray(1))];
      for (const receiverPublicKey of forms) {
        const b = sealBundle({ datasetId: "1", records: [1], receiverPublicKey });
        expect(b.receiver).to.deep.equal({ address: RECEIVER.address, publicKey: hex(RECEIVER.compressed) });
        expect(openBundle(b, RECEIVER_SK).records).to.deep.equal([1]);
      }
      expect(RECEIVER.address).to.equal(new Wallet(hex(RECEIVER_SK)).address);
    });

    it("uses a fresh data key and IVs for every seal", function () {
      const [a, b] = [seal(), seal()];
      expect(a.records.ciphertext).to.not.equal(b.records.ciphertext);
      expect(a.wrappedKey.ciphertext).to.not.equal(b.wrappedKey.ciphertext);
      expect(a.ephemeralPublicKey).to.not.equal(b.ephemeralPublicKey);
    });

    it("states the keccak256 of iv || ciphertext || tag as ciphertextHash", function () {
      const b = seal();
      expect(bundleCiphertextHash(b)).to.equal(b.ciphertextHash);
      expect(
        openBundle(b, RECEIVER_SK, { expectedCiphertextHash: b.ciphertextHash.toUpperCase().replace("0X", "0x") })
          .ciphertextHash,
      ).to.equal(b.ciphertextHash);
    });

    it("rejects records that would not round-trip, naming the path", function () {
      const cases: [unknown[], string][] = [
        [[{ a: NaN }], "records[0].a: NaN"],
        [[{ a: [1, 10n] }], "records[0].a[1]: bigint 10"],
        [[{ a: undefined }], "records[0].a: undefined"],
        [[new Date(0)], "records[0]: a class instance"],
        [[-0], "records[0]: -0"],
      ];
      for (const [records, text] of cases) {
        expectSharingError(
          () => sealBundle({ datasetId: "1", records, receiverPublicKey: RECEIVER }),
          "BAD_RECORDS",
          text,
        );
      }
    });
    it("validates the dataset id and metadata before encrypting, naming the field", function () {
      expectSharingError(
        () => sealBundle({ datasetId: "", records: [], receiverPublicKey: RECEIVER }),
        "BAD_BUNDLE",
        "sealBundle: field datasetId",
      );
      expectSharingError(
        () =>
          sealBundle({
            datasetId: "1",
            records: [],
            receiverPublicKey: RECEIVER,
            batches: [{ batchId: "x", root: ROOT }],
          }),
        "BAD_BUNDLE",
        "sealBundle: field metadata.batches.0.batchId",
      );
    });
  });

  describe("refusals", function () {
    it("refuses a key the bundle is not addressed to", function () {
      const other = hex(publicKeyOfPrivateKey(OTHER_SK).compressed);
      expectSharingError(
        () => openBundle(seal(), OTHER_SK),
        "WRONG_KEY",
        `this bundle is not addressed to key ${other}`,
      );
    });

    it("fails authentication when someone re-addresses the bundle to their own key", function () {
      const b = copy(seal());
      const thief = publicKeyOfPrivateKey(OTHER_SK);
      b.receiver = { address: thief.address, publicKey: hex(thief.compressed) };
      expectSharingError(() => openBundle(b, OTHER_SK), "TAMPERED_WRAPPED_KEY", "AES-GCM authentication failed");
    });

    it("detects a tampered records ciphertext, with or without a recomputed hash", function () {
      const b = copy(seal());
      b.records.ciphertext = flipBase64(b.records.ciphertext, 5);
      expectSharingError(() => openBundle(b, RECEIVER_SK), "HASH_MISMATCH", "the ciphertext was altered");
      b.ciphertextHash = bundleCiphertextHash(b);
      expectSharingError(
        () => openBundle(b, RECEIVER_SK),
        "TAMPERED_CIPHERTEXT",
        "records failed AES-GCM authentication",
      );
    });

    it("detects a tampered records tag and iv", function () {
      for (const field of ["tag", "iv"] as const) {
        const b = copy(seal());
        b.records[field] = flipHex(b.records[field]);
        expectSharingError(() => openBundle(b, RECEIVER_SK), "HASH_MISMATCH", "ciphertextHash");
        b.ciphertextHash = bundleCiphertextHash(b);
        expectSharingError(() => openBundle(b, RECEIVER_SK), "TAMPERED_CIPHERTEXT", "AES-GCM");
      }
    });

    it("refuses a bundle whose hash differs from the on-chain grant", function () {
      const b = seal();
      const onChain = "0x" + "00".repeat(32);
      expectSharingError(
        () => openBundle(b, RECEIVER_SK, { expectedCiphertextHash: onChain }),
        "HASH_MISMATCH",
        `the grant records ${onChain}`,
      );
    });

    it("detects a tampered wrapped key, tag, iv or ephemeral key", function () {
      for (const field of ["ciphertext", "tag", "iv"] as const) {
        const b = copy(seal());
        b.wrappedKey[field] = flipHex(b.wrappedKey[field]);
        expectSharingError(() => openBundle(b, RECEIVER_SK), "TAMPERED_WRAPPED_KEY", "cannot unwrap the data key");
      }
      const b = copy(seal());
      b.ephemeralPublicKey = hex(publicKeyOfPrivateKey(OTHER_SK).compressed);
      expectSharingError(() => openBundle(b, RECEIVER_SK), "TAMPERED_WRAPPED_KEY", "cannot unwrap the data key");
      b.ephemeralPublicKey = "0x02" + "ff".repeat(32); // x >= p: not a curve point
      expectSharingError(() => openBundle(b, RECEIVER_SK), "TAMPERED_WRAPPED_KEY", "cannot unwrap the data key");
    });

    it("detects tampered AAD fields: dataset id, metadata and receiver address", function () {
      const renamed = copy(seal());
      renamed.datasetId = "43";
      expectSharingError(() => openBundle(renamed, RECEIVER_SK), "TAMPERED_WRAPPED_KEY", "dataset id");

      const reRooted = copy(seal());
      reRooted.metadata.batches[0].root = "0x" + "cd".repeat(32);
      expectSharingError(() => openBundle(reRooted, RECEIVER_SK), "TAMPERED_CIPHERTEXT", "metadata");

      const recounted = copy(seal());
      recounted.metadata.recordCount = 2;
      expectSharingError(() => openBundle(recounted, RECEIVER_SK), "TAMPERED_CIPHERTEXT", "metadata");

      const readdressed = copy(seal());
      readdressed.receiver.address = new Wallet(hex(OTHER_SK)).address;
      expectSharingError(() => openBundle(readdressed, RECEIVER_SK), "BAD_BUNDLE", "field receiver.address");
    });

    it("names the bad field of a malformed bundle", function () {
      const noIv = copy(seal()) as unknown as { wrappedKey: Record<string, unknown> };
      delete noIv.wrappedKey.iv;
      expectSharingError(() => openBundle(noIv, RECEIVER_SK), "BAD_BUNDLE", "bundle: field wrappedKey.iv");
      const v2 = { ...copy(seal()), version: 2 };
      expectSharingError(() => openBundle(v2, RECEIVER_SK), "BAD_BUNDLE", "field version");
      const shortRoot = copy(seal());
      shortRoot.metadata.batches[0].root = "0x1234";
      expectSharingError(() => openBundle(shortRoot, RECEIVER_SK), "BAD_BUNDLE", "field metadata.batches.0.root");
      expectSharingError(() => parseBundleJson("{not json", "b.json"), "BAD_BUNDLE", "b.json: not JSON");
    });
  });

  describe("receiver keys", function () {
    it("explains that an address alone is not enough, unless it is a known account", function () {
      const address = new Wallet(hex(RECEIVER_SK)).address;
      expectSharingError(() => resolveReceiver(address), "BAD_KEY", "is an address, not a public key");
      const dev = devAccountPublicKeys("test test test test test test test test test test test junk", 2);
      const first = resolveReceiver("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", dev);
      expect(first.address).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
      expect(hex(first.compressed)).to.equal(
        hex(
          publicKeyOfPrivateKey(parsePrivateKey("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"))
            .compressed,
        ),
      );
    });

    it("recovers a public key from a signed message and checks the signer", async function () {
      const wallet = new Wallet(hex(RECEIVER_SK));
      const message = "GridLedger: encrypt datasets for me";
      const signature = await wallet.signMessage(message);
      expect(hex(publicKeyFromSignature(message, signature, wallet.address).compressed)).to.equal(
        hex(RECEIVER.compressed),
      );
      expectSharingError(
        () => publicKeyFromSignature(message, signature, new Wallet(hex(OTHER_SK)).address),
        "BAD_KEY",
        `signature was made by ${wallet.address}`,
      );
    });

    it("rejects points off the curve and bad private keys", function () {
      expectSharingError(() => parsePublicKey("0x02" + "ff".repeat(32)), "BAD_KEY", "not a valid secp256k1 point");
      expectSharingError(() => parsePublicKey("0xzz"), "BAD_KEY", "not even-length hex");
      expectSharingError(() => parsePrivateKey("0x" + "00".repeat(32)), "BAD_KEY", "secp256k1 range");
    });
  });
});
