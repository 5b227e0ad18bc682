import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface CertifyOptions {
  provider: string;
  revoke: boolean;
  account: number;
}

/** Certifies (grants PROVIDER_ROLE) or decertifies an organisation's address, as the DataSharing admin. */
export async function runCertify(hre: HardhatRuntimeEnvironment, opts: CertifyOptions) {
  const { sendChecked } = load.chain.errors();
  const ctx = await chainContext(hre);
  const { sharing } = await connectDeployedGovernance(hre, ctx, await accountSigner(hre, opts.account));
  const role = await sharing.PROVIDER_ROLE();
  const method = opts.revoke ? sharing.revokeRole : sharing.grantRole;
  const { tx } = await sendChecked(
    `${opts.revoke ? "decertify" : "certify"} ${opts.provider}`,
    method,
    role,
    opts.provider,
  );
  console.log(
    opts.revoke
      ? `${opts.provider} is no longer a certified provider: its datasets, their grants and its authorisations are void (tx ${tx.hash})`
      : `${opts.provider} is now a certified provider; grid:share:authorise lets it share terminals (tx ${tx.hash})`,
  );
  return tx.hash;
}

gridTask(
  "provider:certify",
  "Certify an organisation as a data provider (DataSharing PROVIDER_ROLE), as its admin",
  (t) =>
    t
      .addParam("provider", "The organisation's address")
      .addFlag(
        "revoke",
        "Decertify instead: its datasets, every grant on them and its authorisations are void from then on",
      )
      .addOptionalParam("account", "Index of the admin account", 0, types.int)
      .setAction(async (args: CertifyOptions, hre) => {
        await runCertify(hre, args);
      }),
);
