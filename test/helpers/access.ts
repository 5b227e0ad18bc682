import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse } from "ethers";

/**
 * Asserts that a call made by `caller` reverts with OZ AccessControlUnauthorizedAccount for `role`. Read the role
 * before making the call: a call that reverts while an argument is still being awaited is an unhandled rejection,
 * which mocha reports as an uncaught error when the node is slow (as under coverage).
 */
export async function expectUnauthorized(
  contract: BaseContract,
  call: Promise<ContractTransactionResponse>,
  caller: string,
  role: string,
): Promise<void> {
  await expect(call).to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount").withArgs(caller, role);
}
