/** Naming workflows over DataNameRegistry: resolve, register (with subnames), transfer, retarget and list names. */
import { toBeHex, ZeroAddress, ZeroHash, zeroPadValue } from "ethers";
import { namehash, ROOT_NODE, splitName } from "./namehash";
import type { DataNameRegistry } from "../chain/contracts";
import { sendChecked } from "../chain/errors";
import { TARGET_KIND_NAMES, TargetKind, type TargetKindName } from "../chain/types";

/** What a name points at, in plain form. */
export type NameTarget =
  | { kind: "None" }
  | { kind: "Terminal"; terminalId: string }
  /** A batch, by its Merkle root (stable across reorgs, unlike its id). */
  | { kind: "Batch"; merkleRoot: string }
  | { kind: "Dataset"; datasetId: bigint }
  | { kind: "MetadataURI"; uri: string };

/** A resolved name. */
export interface ResolvedName {
  name: string;
  node: string;
  owner: string;
  registeredAt: number;
  target: NameTarget;
}

/** Reads a contract target (kind, value, uri) into a NameTarget. */
export function toNameTarget(t: { kind: bigint; value: string; uri: string }): NameTarget {
  const kind = TARGET_KIND_NAMES[Number(t.kind)] as TargetKindName;
  switch (kind) {
    case "Terminal":
      return { kind, terminalId: t.value };
    case "Batch":
      return { kind, merkleRoot: t.value };
    case "Dataset":
      return { kind, datasetId: BigInt(t.value) };
    case "MetadataURI":
      return { kind, uri: t.uri };
    default:
      return { kind: "None" };
  }
}

/** One line a person can read, e.g. "batch 7" or "terminal 0xab…". */
export function describeTarget(target: NameTarget): string {
  switch (target.kind) {
    case "Terminal":
      return `terminal ${target.terminalId}`;
    case "Batch":
      return `batch ${target.merkleRoot}`;
    case "Dataset":
      return `dataset ${target.datasetId}`;
    case "MetadataURI":
      return `metadata ${target.uri}`;
    default:
      return "nothing (no target set)";
  }
}

/** Resolves a dotted name; a name that is not registered is a clear error. */
export async function resolveName(names: DataNameRegistry, name: string): Promise<ResolvedName> {
  const node = namehash(name);
  const owner = await names.ownerOf(node);
  if (owner === ZeroAddress) throw new Error(`name "${name}" is not registered`);
  const [record, target] = await Promise.all([names.getName(node), names.resolve(node)]);
  return { name, node, owner, registeredAt: Number(record.registeredAt), target: toNameTarget(target) };
}

/** The calldata that points `node` at `target` (the caller must own the node). */
function targetCall(names: DataNameRegistry, node: string, target: NameTarget): string {
  const i = names.interface;
  switch (target.kind) {
    case "Terminal":
      return i.encodeFunctionData("setTerminalTarget", [node, target.terminalId]);
    case "Batch":
      return i.encodeFunctionData("setBatchTarget", [node, target.merkleRoot]);
    case "Dataset":
      return i.encodeFunctionData("setDatasetTarget", [node, target.datasetId]);
    case "MetadataURI":
      return i.encodeFunctionData("setMetadataURI", [node, target.uri]);
    default:
      return i.encodeFunctionData("clearTarget", [node]);
  }
}

export interface RegisterNameResult {
  node: string;
  /** Names this call created, top first (empty when the name existed). */
  created: string[];
  txHash?: string;
}

/**
 * Registers a dotted name, creating any missing parents on the way, in one multicall transaction: missing
 * levels are created owned by the caller, the target (if any) is set, and the name is handed to `owner` last.
 * A top-level level needs ROOT_REGISTRAR_ROLE; a sub-level needs the caller to own the existing parent. Every
 * refusal is found before sending. An existing name is refused unless `target` is given and the caller owns it
 * (then only the target is set).
 */
export async function registerName(
  names: DataNameRegistry,
  name: string,
  opts: { owner?: string; target?: NameTarget } = {},
): Promise<RegisterNameResult> {
  const labels = splitName(name);
  if (labels.length === 0) throw new Error("the root has no name to register");
  const me = await signerAddress(names);
  const owner = opts.owner ?? me;
  const levels = labels.map((_, depth) => labels.slice(0, depth + 1).join(".")); // top first
  // Find the deepest level that exists.
  let parent = ROOT_NODE;
  let parentOwner = ZeroAddress;
  let missing = 0;
  for (; missing < levels.length; missing++) {
    const current = await names.ownerOf(namehash(levels[missing]));
    if (current === ZeroAddress) break;
    parent = namehash(levels[missing]);
    parentOwner = current;
  }
  const calls: string[] = [];
  const created: string[] = [];
  if (missing === levels.length) {
    if (!opts.target) throw new Error(`name "${name}" is already registered (owner ${parentOwner})`);
    if (!sameAddress(parentOwner, me)) {
      throw new Error(`name "${name}" is owned by ${parentOwner}, not by ${me}: only its owner can change its target`);
    }
  } else if (missing === 0) {
    if (!(await names.hasRole(await names.ROOT_REGISTRAR_ROLE(), me))) {
      throw new Error(`"${levels[0]}" is a top-level name: ${me} lacks ROOT_REGISTRAR_ROLE (ask the naming admin)`);
    }
  } else if (!sameAddress(parentOwner, me)) {
    throw new Error(
      `"${levels[missing - 1]}" is owned by ${parentOwner}, not by ${me}: only its owner can create "${levels[missing]}"`,
    );
  }
  for (let depth = missing; depth < levels.length; depth++) {
    const label = labels[depth];
    calls.push(
      parent === ROOT_NODE
        ? names.interface.encodeFunctionData("registerTopLevel", [label, me])
        : names.interface.encodeFunctionData("registerSubname", [parent, label, me]),
    );
    created.push(levels[depth]);
    parent = namehash(levels[depth]);
  }
  const node = parent;
  if (opts.target) calls.push(targetCall(names, node, opts.target));
  if (!sameAddress(owner, me)) calls.push(names.interface.encodeFunctionData("transfer", [node, owner]));
  if (calls.length === 0) return { node, created };
  const { tx } = await sendChecked(`register name "${name}"`, names.multicall, calls);
  return { node, created, txHash: tx.hash };
}

/** Transfers a name the caller owns. */
export async function transferName(names: DataNameRegistry, name: string, newOwner: string) {
  const node = namehash(name);
  const { tx } = await sendChecked(`transfer name "${name}"`, names.transfer, node, newOwner);
  return { node, txHash: tx.hash };
}

/** One name rebuilt from events. */
export interface ListedName {
  name: string;
  node: string;
  owner: string;
  target: NameTarget;
}

/**
 * Every registered name, rebuilt from NameRegistered (node, parent, label), NameTransferred and TargetSet events
 * alone: this is how an indexer reconstructs full names without trusting any off-chain list.
 */
export async function listNames(names: DataNameRegistry, fromBlock = 0): Promise<ListedName[]> {
  const [registered, transferred, targets] = await Promise.all([
    names.queryFilter(names.filters.NameRegistered(), fromBlock),
    names.queryFilter(names.filters.NameTransferred(), fromBlock),
    names.queryFilter(names.filters.TargetSet(), fromBlock),
  ]);
  const byNode = new Map<string, { label: string; parent: string; owner: string; target: NameTarget }>();
  for (const e of registered) {
    byNode.set(e.args.node, {
      label: e.args.label,
      parent: e.args.parent,
      owner: e.args.owner,
      target: { kind: "None" },
    });
  }
  for (const e of transferred) {
    const n = byNode.get(e.args.node);
    if (n) n.owner = e.args.to;
  }
  for (const e of targets) {
    const n = byNode.get(e.args.node);
    if (n) n.target = toNameTarget({ kind: e.args.kind, value: e.args.value, uri: e.args.uri });
  }
  const fullName = (node: string): string => {
    const labels: string[] = [];
    for (let n = byNode.get(node); n; n = n.parent === ZeroHash ? undefined : byNode.get(n.parent)) {
      labels.push(n.label);
    }
    return labels.reverse().join(".");
  };
  return [...byNode.entries()]
    .map(([node, n]) => ({ name: fullName(node), node, owner: n.owner, target: n.target }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A NameTarget from task options: exactly one of terminal id, batch root, dataset id or URI. A batch is given as
 * its root; callers resolve a batch id to its root first (chain/streams resolveBatchRoot).
 */
export function targetFromOptions(opts: {
  terminal?: string;
  batch?: string;
  dataset?: string | number;
  uri?: string;
  toTerminalId: (s: string) => string;
}): NameTarget | undefined {
  const given = [opts.terminal, opts.batch, opts.dataset, opts.uri].filter((v) => v !== undefined);
  if (given.length > 1) throw new Error("give at most one target: --terminal, --batch, --dataset or --uri");
  if (opts.terminal !== undefined) return { kind: "Terminal", terminalId: opts.toTerminalId(opts.terminal) };
  if (opts.batch !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(opts.batch))
      throw new Error(`--batch must be a 0x Merkle root (64 hex digits), got "${opts.batch}"`);
    return { kind: "Batch", merkleRoot: opts.batch.toLowerCase() };
  }
  if (opts.dataset !== undefined) return { kind: "Dataset", datasetId: positiveId(opts.dataset, "--dataset") };
  if (opts.uri !== undefined) return { kind: "MetadataURI", uri: opts.uri };
  return undefined;
}

function positiveId(v: string | number, what: string): bigint {
  const s = String(v).trim();
  if (!/^[1-9]\d*$/.test(s)) throw new Error(`${what} must be a positive whole number, got "${v}"`);
  return BigInt(s);
}

/** A target value as the contract stores it (left-padded id), for tests and displays. */
export function targetValue(id: bigint): string {
  return zeroPadValue(toBeHex(id), 32);
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

async function signerAddress(names: DataNameRegistry): Promise<string> {
  const runner = names.runner as { getAddress?: () => Promise<string> } | null;
  if (!runner?.getAddress) throw new Error("the naming contract is not connected to a signer");
  return runner.getAddress();
}

export { TargetKind };

/** Points an existing name the caller owns at a target (or clears it with `{ kind: "None" }`). */
export async function setNameTarget(names: DataNameRegistry, name: string, target: NameTarget) {
  const node = namehash(name);
  const owner = await names.ownerOf(node);
  if (owner === ZeroAddress) throw new Error(`name "${name}" is not registered: create it with grid:name:register`);
  const me = await signerAddress(names);
  if (!sameAddress(owner, me)) throw new Error(`name "${name}" is owned by ${owner}, not by ${me}`);
  const { tx } = await sendChecked(`set the target of "${name}"`, names.multicall, [targetCall(names, node, target)]);
  return { node, txHash: tx.hash };
}

/** A dataset id from a decimal id or a name that resolves to a dataset. */
export async function datasetIdFrom(names: DataNameRegistry, input: string): Promise<bigint> {
  const s = input.trim();
  if (/^\d+$/.test(s)) return BigInt(s);
  const resolved = await resolveName(names, s);
  if (resolved.target.kind !== "Dataset") {
    throw new Error(`name "${s}" points at ${describeTarget(resolved.target)}, not at a dataset`);
  }
  return resolved.target.datasetId;
}
