import { HardhatUserConfig, subtask, vars } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks";
import { parseRpcUrls } from "./src/chain/endpoints";
import { EVM_VERSION } from "./src/chain/evm";

/** The one compiler this project uses: solc-js from the pinned `solc` npm package (no download). */
const SOLC_VERSION: string = require("solc/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: require("solc").version(),
  };
});

export const OPTIMIZER_RUNS = 1000;

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/**
 * `ANVIL_URL` and `RPC_URL` may list several endpoints of one chain, comma-separated: Hardhat's own provider uses the
 * first; grid:run, grid:anchor and grid:serve fail over along `urls` (tasks/common/endpoints.ts).
 */
const anvilUrls = parseRpcUrls(process.env.ANVIL_URL ?? "http://127.0.0.1:8545", "ANVIL_URL");
const customUrls = parseRpcUrls(process.env.RPC_URL ?? "http://127.0.0.1:8545", "RPC_URL");
const customAccounts = vars.has("GRID_PRIVATE_KEY") ? [vars.get("GRID_PRIVATE_KEY")] : { mnemonic: DEV_MNEMONIC };

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      viaIR: true,
    },
  },
  defaultNetwork: "hardhat",
  networks: {
    hardhat: {
      // Pipelines sign with many terminal keys derived from this mnemonic; keep the default accounts.
      accounts: { mnemonic: DEV_MNEMONIC, count: 20 },
    },
    localhost: { url: "http://127.0.0.1:8545" },
    anvil: { url: anvilUrls[0], urls: anvilUrls, accounts: { mnemonic: DEV_MNEMONIC } },
    custom: { url: customUrls[0], urls: customUrls, accounts: customAccounts },
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", offline: true, currency: "USD" },
  mocha: { timeout: 120_000 },
};

export default config;
