import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";

function names() {
  return require("../../src/naming/names") as typeof import("../../src/naming/names");
}

/** Target options shared by name:register and name:set. */
export interface TargetOptions {
  terminal?: string;
  batch?: number;
  dataset?: number;
  uri?: string;
}

async function governanceAs(hre: HardhatRuntimeEnvironment, account: number) {
  const ctx = await chainContext(hre);
  return connectDeployedGovernance(hre, ctx, await accountSigner(hre, account));
}

function target(opts: TargetOptions) {
  const { toTerminalId } = require("../../src/chain/ids") as typeof import("../../src/chain/ids");
  return names().targetFromOptions({ ...opts, toTerminalId });
}

export interface NameRegisterOptions extends TargetOptions {
  name: string;
  owner?: string;
  account: number;
}

/** Registers a name, creating missing parents, optionally with a target and another owner, in one transaction. */
export async function runNameRegister(hre: HardhatRuntimeEnvironment, opts: NameRegisterOptions) {
  const gov = await governanceAs(hre, opts.account);
  const result = await names().registerName(gov.names, opts.name, { owner: opts.owner, target: target(opts) });
  const created = result.created.length > 0 ? `created ${result.created.join(", ")}` : "already registered";
  console.log(`${opts.name}: ${created}; node ${result.node}${result.txHash ? ` (tx ${result.txHash})` : ""}`);
  return result;
}

export interface NameSetOptions extends TargetOptions {
  name: string;
  clear: boolean;
  account: number;
}

export async function runNameSet(hre: HardhatRuntimeEnvironment, opts: NameSetOptions) {
  const t = opts.clear ? ({ kind: "None" } as const) : target(opts);
  if (!t) throw new Error("give a target (--terminal, --batch, --dataset or --uri) or --clear");
  const gov = await governanceAs(hre, opts.account);
  const result = await names().setNameTarget(gov.names, opts.name, t);
  console.log(`${opts.name} -> ${names().describeTarget(t)} (tx ${result.txHash})`);
  return result;
}

export interface NameResolveOptions {
  name: string;
  json: boolean;
}

export async function runNameResolve(hre: HardhatRuntimeEnvironment, opts: NameResolveOptions) {
  const gov = await governanceAs(hre, 0);
  const r = await names().resolveName(gov.names, opts.name);
  if (opts.json) console.log(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(`${r.name} -> ${names().describeTarget(r.target)}  (owner ${r.owner}, node ${r.node})`);
  return r;
}

export interface NameTransferOptions {
  name: string;
  to: string;
  account: number;
}

export async function runNameTransfer(hre: HardhatRuntimeEnvironment, opts: NameTransferOptions) {
  const gov = await governanceAs(hre, opts.account);
  const r = await names().transferName(gov.names, opts.name, opts.to);
  console.log(`${opts.name} now belongs to ${opts.to} (tx ${r.txHash})`);
  return r;
}

export async function runNameList(hre: HardhatRuntimeEnvironment, opts: { json: boolean }) {
  const gov = await governanceAs(hre, 0);
  const list = await names().listNames(gov.names);
  if (opts.json) console.log(JSON.stringify(list, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else if (list.length === 0) console.log("No names registered.");
  else for (const n of list) console.log(`${n.name}  -> ${names().describeTarget(n.target)}  (owner ${n.owner})`);
  return list;
}

const ACCOUNT = "Index of the network account that sends the transaction";

function withTarget(t: import("hardhat/types").ConfigurableTaskDefinition) {
  return t
    .addOptionalParam("terminal", "Point the name at a registered terminal (label or 0x id)")
    .addOptionalParam("batch", "Point the name at an anchored batch id", undefined, types.int)
    .addOptionalParam("dataset", "Point the name at a DataSharing dataset id", undefined, types.int)
    .addOptionalParam("uri", "Point the name at a metadata URI");
}

gridTask(
  "name:register",
  "Register a name such as gz.ieee39.bus13.pmu (missing parents too), optionally with a target",
  (t) =>
    withTarget(t.addParam("name", "Dotted name, most general label first"))
      .addOptionalParam("owner", "Owner of the new name (default: the sender)")
      .addOptionalParam("account", ACCOUNT, 0, types.int)
      .setAction(async (args: NameRegisterOptions, hre) => {
        await runNameRegister(hre, args);
      }),
);

gridTask("name:set", "Point a name you own at a terminal, batch, dataset or URI, or clear it", (t) =>
  withTarget(t.addParam("name", "Dotted name"))
    .addFlag("clear", "Remove the target")
    .addOptionalParam("account", ACCOUNT, 0, types.int)
    .setAction(async (args: NameSetOptions, hre) => {
      await runNameSet(hre, args);
    }),
);

gridTask("name:resolve", "Show what a name points at and who owns it", (t) =>
  t
    .addParam("name", "Dotted name")
    .addFlag("json", "Print JSON")
    .setAction(async (args: NameResolveOptions, hre) => {
      await runNameResolve(hre, args);
    }),
);

gridTask("name:transfer", "Hand a name you own to another owner", (t) =>
  t
    .addParam("name", "Dotted name")
    .addParam("to", "New owner address")
    .addOptionalParam("account", ACCOUNT, 0, types.int)
    .setAction(async (args: NameTransferOptions, hre) => {
      await runNameTransfer(hre, args);
    }),
);

gridTask("name:list", "List every name, rebuilt from the registry's events", (t) =>
  t.addFlag("json", "Print JSON").setAction(async (args: { json: boolean }, hre) => {
    await runNameList(hre, args);
  }),
);
