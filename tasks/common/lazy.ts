/**
 * The one way tasks load code: every src/ module (and the few packages) a task action uses, loaded on first call.
 *
 * Why lazily: hardhat.config.ts imports every task file, so anything a task file imports at its top runs on every
 * `npx hardhat` command. src/chain needs the TypeChain bindings that `hardhat compile` generates (an eager import
 * would break the very first compile of a fresh clone), and the rest would load ethers, zod, libsvm's wasm and
 * the pipeline for `npx hardhat --help`. Type-only imports (erased) and the small options modules whose defaults
 * declare task parameters stay at the top of task files.
 * `require`, not `import()`: tasks run as CommonJS under ts-node, where TypeScript keeps `import()` as a native
 * ESM import that cannot load .ts files. `typeof import` keeps every call site fully typed, and Node's module
 * cache makes repeated calls free.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the lazy loading this file exists for (see above) */
export const load = {
  bench: {
    chain: () => require("../../bench/lib/chain") as typeof import("../../bench/lib/chain"),
  },
  chain: {
    anchor: () => require("../../src/chain/anchor") as typeof import("../../src/chain/anchor"),
    contracts: () => require("../../src/chain/contracts") as typeof import("../../src/chain/contracts"),
    deploy: () => require("../../src/chain/deploy.node") as typeof import("../../src/chain/deploy.node"),
    deployments: () => require("../../src/chain/deployments.node") as typeof import("../../src/chain/deployments.node"),
    errors: () => require("../../src/chain/errors") as typeof import("../../src/chain/errors"),
    failover: () => require("../../src/chain/failover") as typeof import("../../src/chain/failover"),
    ids: () => require("../../src/chain/ids") as typeof import("../../src/chain/ids"),
    keys: () => require("../../src/chain/keys.node") as typeof import("../../src/chain/keys.node"),
    proofs: () => require("../../src/chain/proofs.node") as typeof import("../../src/chain/proofs.node"),
    streams: () => require("../../src/chain/streams") as typeof import("../../src/chain/streams"),
    types: () => require("../../src/chain/types") as typeof import("../../src/chain/types"),
    verify: () => require("../../src/chain/verify") as typeof import("../../src/chain/verify"),
  },
  common: {
    exactJson: () => require("../../src/common/exactJson") as typeof import("../../src/common/exactJson"),
    text: () => require("../../src/common/text") as typeof import("../../src/common/text"),
  },
  gateway: {
    server: () => require("../../src/gateway/server") as typeof import("../../src/gateway/server"),
    terminals: () => require("../../src/gateway/terminals") as typeof import("../../src/gateway/terminals"),
    zoneGenerators: () =>
      require("../../src/gateway/zoneGenerators") as typeof import("../../src/gateway/zoneGenerators"),
  },
  governance: {
    format: () => require("../../src/governance/format") as typeof import("../../src/governance/format"),
    run: () => require("../../src/governance/run") as typeof import("../../src/governance/run"),
  },
  grid: {
    sources: () => require("../../src/grid/sources") as typeof import("../../src/grid/sources"),
  },
  merkle: {
    index: () => require("../../src/merkle") as typeof import("../../src/merkle"),
  },
  naming: {
    names: () => require("../../src/naming/names") as typeof import("../../src/naming/names"),
  },
  pipeline: {
    faults: () => require("../../src/pipeline/faults") as typeof import("../../src/pipeline/faults"),
    run: () => require("../../src/pipeline/run") as typeof import("../../src/pipeline/run"),
    trace: () => require("../../src/pipeline/trace") as typeof import("../../src/pipeline/trace"),
  },
  plot: {
    render: () => require("../../src/plot/render") as typeof import("../../src/plot/render"),
  },
  queueing: {
    mm1k: () => require("../../src/queueing/mm1k") as typeof import("../../src/queueing/mm1k"),
    simulate: () => require("../../src/queueing/simulate") as typeof import("../../src/queueing/simulate"),
    sweep: () => require("../../src/queueing/sweep") as typeof import("../../src/queueing/sweep"),
  },
  records: {
    file: () => require("../../src/records/file") as typeof import("../../src/records/file"),
    rerun: () => require("../../src/records/rerun") as typeof import("../../src/records/rerun"),
  },
  routing: {
    algorithms: () => require("../../src/routing/algorithms") as typeof import("../../src/routing/algorithms"),
    api: () => require("../../src/routing/api") as typeof import("../../src/routing/api"),
    zones: () => require("../../src/routing/zones") as typeof import("../../src/routing/zones"),
    experiment: () => require("../../src/routing/experiment") as typeof import("../../src/routing/experiment"),
    inputs: () => require("../../src/routing/inputs") as typeof import("../../src/routing/inputs"),
  },
  sharing: {
    bundle: () => require("../../src/sharing/index.node") as typeof import("../../src/sharing/index.node"),
    datasets: () => require("../../src/sharing/datasets.node") as typeof import("../../src/sharing/datasets.node"),
    providers: () => require("../../src/sharing/providers") as typeof import("../../src/sharing/providers"),
  },
  terminals: {
    registration: () =>
      require("../../src/terminals/registration.node") as typeof import("../../src/terminals/registration.node"),
  },
  validation: {
    cli: () => require("../../src/validation/cli") as typeof import("../../src/validation/cli"),
    plot: () => require("../../src/validation/plot") as typeof import("../../src/validation/plot"),
    run: () => require("../../src/validation/run") as typeof import("../../src/validation/run"),
  },
  packages: {
    cliProgress: () => require("cli-progress") as typeof import("cli-progress"),
    pino: () => require("pino") as typeof import("pino"),
  },
};
