import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface AuthoriseOptions {
  provider: string;
  terminal?: string;
  grid?: string;
  withdraw: boolean;
  account: number;
}

/** Authorises a provider for a terminal or a grid (or withdraws it), as the DataSharing admin. */
export async function runAuthorise(hre: HardhatRuntimeEnvironment, opts: AuthoriseOptions) {
  const { authorisationTarget, setProviderAuthorisation, gridLabel } = load.sharing.providers();
  const target = authorisationTarget(opts);
  const ctx = await chainContext(hre);
  const { sharing } = await connectDeployedGovernance(hre, ctx, await accountSigner(hre, opts.account));
  const spec = { provider: opts.provider, ...target };
  const result = await setProviderAuthorisation(sharing, spec, !opts.withdraw);
  const what = target.scope === "Grid" ? `grid ${gridLabel(target.id)}` : `terminal ${target.id}`;
  const state = opts.withdraw ? "is not authorised" : "is authorised";
  const sent = result.txHash ? `(tx ${result.txHash})` : "(already so: nothing sent)";
  console.log(`${opts.provider} ${state} to share ${what} ${sent}`);
  if (!opts.withdraw && !result.certified) {
    console.log(`note: ${opts.provider} is not a certified provider yet: grid:provider:certify comes first`);
  }
  // Authorising a terminal before it is registered is allowed, but it is more often a mistyped label: say so.
  if (!opts.withdraw && target.scope === "Terminal") {
    const { registry } = await connectDeployedCore(hre, ctx);
    const [, status] = await registry.signerAndStatus(target.id);
    if (status === 0n) console.log(`note: terminal ${opts.terminal} (${target.id}) is not registered (yet)`);
  }
  return result;
}

gridTask(
  "share:authorise",
  "Authorise a provider to share one terminal's data, or every terminal of a grid, as the DataSharing admin",
  (t) =>
    t
      .addParam("provider", "The provider's address")
      .addOptionalParam("terminal", "Terminal label or 0x id")
      .addOptionalParam("grid", "Grid name (as in the terminals' location, e.g. ieee39) or 0x id")
      .addFlag("withdraw", "Withdraw the authorisation instead: no new datasets (existing grants stay until revoked)")
      .addOptionalParam("account", "Index of the admin account", 0, types.int)
      .setAction(async (args: AuthoriseOptions, hre) => {
        await runAuthorise(hre, args);
      }),
);
