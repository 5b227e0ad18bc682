import { expect } from "chai";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import {
  computeAddress,
  concat,
  hexlify,
  keccak256,
  recoverAddress,
  Signature,
  SigningKey,
  toBeHex,
  toUtf8Bytes,
} from "ethers";
import { initMerkle } from "../../src/merkle";
import { recoverSigner, signDigest } from "../../src/chain/nativeEcdsa.node";
import { createRng } from "../../src/common/rng";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("native ECDSA (libsecp256k1)", function () {
  before(async function () {
    await initMerkle();
  });
  const rng = createRng(17);
  const randomHex32 = () => hexlify(Uint8Array.from({ length: 32 }, () => Math.floor(rng.next() * 256)));

  it("signs exactly like ethers and recovers the same signer", function () {
    for (let i = 0; i < 50; i++) {
      const key = new SigningKey(randomHex32());
      const digest = keccak256(toUtf8Bytes(`message ${i}`));
      const signature = signDigest(key, digest);
      expect(signature).to.equal(key.sign(digest).serialized);
      expect(recoverSigner(digest, signature)).to.equal(recoverAddress(digest, signature).toLowerCase());
      expect(recoverSigner(digest, signature)).to.equal(computeAddress(key.publicKey).toLowerCase());
    }
  });

  it("recovers another address for another digest, and throws on a malformed signature", function () {
    const key = new SigningKey(randomHex32());
    const digest = randomHex32();
    const signature = signDigest(key, digest);
    expect(recoverSigner(randomHex32(), signature)).to.not.equal(recoverSigner(digest, signature));
    expect(() => recoverSigner(digest, "0x1234")).to.throw("expected 65 bytes");
    expect(() => recoverSigner(digest, signature.slice(0, -2) + "1d")).to.throw("v must be 27 or 28");
    // The malleable twin (n - s, flipped v) recovers the same key in raw ECDSA; like OZ ECDSA, it is refused.
    const sig = Signature.from(signature);
    const highS = toBeHex(N - BigInt(sig.s), 32);
    const twin = concat([sig.r, highS, sig.v === 27 ? "0x1c" : "0x1b"]);
    expect(() => recoverSigner(digest, twin)).to.throw("upper half");
  });

  context("in a worker thread", function () {
    it("recovers the same signer without loading the native binding (not safe in threads)", async function () {
      // Regression: the gateway's door thread loaded the binding, whose one process-wide class reference each
      // thread overwrites; ending the thread corrupted the heap and aborted the process.
      this.timeout(60_000);
      const key = new SigningKey(randomHex32());
      const digest = randomHex32();
      const signature = signDigest(key, digest);
      const module = join(__dirname, "../../src/chain/nativeEcdsa.node.ts");
      const worker = new Worker(
        `require("ts-node").register({ transpileOnly: true });
         const { parentPort, workerData } = require("node:worker_threads");
         require(workerData.merkle).initMerkle().then(() => {
           const { recoverSigner } = require(workerData.module);
           const signer = recoverSigner(workerData.digest, workerData.signature);
           const native = Object.keys(require.cache).some((p) => /secp256k1[\\/]bindings/.test(p));
           parentPort.postMessage({ signer, native });
         });`,
        { eval: true, workerData: { module, merkle: join(__dirname, "../../src/merkle"), digest, signature } },
      );
      const reply = await new Promise<{ signer: string; native: boolean }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      await worker.terminate();
      expect(reply.native).to.equal(false);
      expect(reply.signer).to.equal(computeAddress(key.publicKey).toLowerCase());
      expect(recoverSigner(digest, signature)).to.equal(reply.signer);
    });
  });
});
