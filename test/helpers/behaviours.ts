import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { DataNameRegistry } from "../../typechain-types";

/** What the name-owner behaviour needs from a fixture: the registry, the name's owner and a caller who is not. */
export interface NameOwnerFixture {
  names: DataNameRegistry;
  /** Owns the name under test. */
  receiver: HardhatEthersSigner;
  /** Owns nothing. */
  stranger: HardhatEthersSigner;
}

/**
 * Shared behaviour of every DataNameRegistry function reserved to a name's owner (OZ's `shouldBehaveLike...`
 * pattern): a caller who does not own `node` is refused with `NotNameOwner(node, caller, owner)`.
 * `call` gets the registry connected as that caller.
 */
export function shouldBehaveLikeNameOwnerOnly<F extends NameOwnerFixture>(
  fixture: () => Promise<F>,
  node: string,
  call: (asCaller: DataNameRegistry, f: F) => Promise<ContractTransactionResponse>,
): void {
  it("is restricted to the name's owner", async function () {
    const f = await fixture();
    const { names, stranger, receiver } = f;
    await expect(call(names.connect(stranger), f))
      .to.be.revertedWithCustomError(names, "NotNameOwner")
      .withArgs(node, stranger.address, receiver.address);
  });
}
