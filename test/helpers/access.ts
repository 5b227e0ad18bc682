import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse } from "ethers";

/** Asserts that a call made by `caller` reverts with OZ AccessControlUnauthorizedAccount for `role`. */
export async function expectUnauthorized(
  contract: BaseContract,
  call: Promise<ContractTransactionResponse>,
  caller: string,
  role: string,
): Promise<void> {
  await expect(call).to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount").withArgs(caller, role);
}
