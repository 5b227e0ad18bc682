/** The DataNameRegistry adapter: resolves dotted names through the contract, so the naming rules live on-chain. */
import { Contract, ZeroAddress, type ContractRunner, type InterfaceAbi } from "ethers";
import { withDecodedRevert } from "../chain/errors";
import type { ContractModule } from "../chain/contracts";

/** What a name points at, as DataNameRegistry's TargetKind names it. */
export type NameTargetKind = "None" | "Terminal" | "Batch" | "Dataset" | "MetadataURI";

/** What a GridLedger name points at. */
export interface ResolvedName {
  /** The name as given, e.g. "gz.ieee39.bus13.pmu". */
  name: string;
  /** Its ENS-style namehash. */
  node: string;
  owner: string;
  kind: NameTargetKind;
  /** A terminal id (0x bytes32), a batch or dataset id (decimal), a URI, or "" for None. */
  target: string;
}

/** Resolves human-readable names; `undefined` when the name is not registered. */
export interface NameResolver {
  resolve(name: string): Promise<ResolvedName | undefined>;
}

/** The part of IDataNameRegistry the adapter calls, with the errors it decodes. */
export const NAME_REGISTRY_ABI: InterfaceAbi = [
  "function namehash(string name) pure returns (bytes32)",
  "function ownerOf(bytes32 node) view returns (address)",
  "function resolve(bytes32 node) view returns (tuple(uint8 kind, bytes32 value, string uri))",
  "error NameNotRegistered(bytes32 node)",
  "error EmptyLabel()",
  "error LabelTooLong(string label, uint256 length)",
  "error LabelNotLowercase(string label, uint256 position)",
  "error InvalidLabelCharacter(string label, uint256 position, bytes1 character)",
  "error LabelHyphenAtEdge(string label)",
  "error NameTooLong(uint256 length, uint256 maxLength)",
];

const KINDS: readonly NameTargetKind[] = ["None", "Terminal", "Batch", "Dataset", "MetadataURI"];

/** Resolves names with a deployed DataNameRegistry; a malformed name is refused with the contract's reason. */
export function nameRegistryResolver(module: ContractModule, runner: ContractRunner): NameResolver {
  const registry = new Contract(module.address, module.abi ?? NAME_REGISTRY_ABI, runner);
  const interfaces = [registry.interface];
  return {
    async resolve(name: string): Promise<ResolvedName | undefined> {
      const context = `resolve name "${name}"`;
      const node = (await withDecodedRevert(context, () => registry.namehash(name), interfaces)) as string;
      const owner = (await registry.ownerOf(node)) as string;
      if (owner === ZeroAddress) return undefined;
      const t = (await withDecodedRevert(context, () => registry.resolve(node), interfaces)) as {
        kind: bigint;
        value: string;
        uri: string;
      };
      const kind = KINDS[Number(t.kind)] ?? "None";
      const target =
        kind === "Terminal"
          ? t.value
          : kind === "Batch" || kind === "Dataset"
            ? BigInt(t.value).toString()
            : kind === "MetadataURI"
              ? t.uri
              : "";
      return { name, node, owner, kind, target };
    },
  };
}
