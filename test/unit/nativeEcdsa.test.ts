import { expect } from "chai";
import { computeAddress, hexlify, keccak256, recoverAddress, SigningKey, toUtf8Bytes } from "ethers";
import { recoverSigner, signDigest } from "../../src/chain/nativeEcdsa";
import { createRng } from "../../src/common/rng";

describe("native ECDSA (libsecp256k1)", function () {
  const rng = createRng(17);
  const randomHex32 = () => hexlify(Uint8Array.from({ length: 32 }, () => Math.floor(rng.next() * 256)));

  it("signs exactly like ethers and recovers the same signer", function () {
    for (let i = 0; i < 50; i++) {
      const key = new SigningKey(randomHex32());
      const digest = keccak256(toUtf8Bytes(`message ${i}`));
      const signature = signDigest(key, digest);
      expect(signature).to.equal(key.sign(digest).serialized);
      expect(recoverSigner(digest, signature)).to.equal(recoverAddress(digest, signature));
      expect(recoverSigner(digest, signature)).to.equal(computeAddress(key.publicKey));
    }
  });

  it("recovers another address for another digest, and throws on a malformed signature", function () {
    const key = new SigningKey(randomHex32());
    const digest = randomHex32();
    const signature = signDigest(key, digest);
    expect(recoverSigner(randomHex32(), signature)).to.not.equal(recoverSigner(digest, signature));
    expect(() => recoverSigner(digest, "0x1234")).to.throw();
  });
});
