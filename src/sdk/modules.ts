/**
 * Optional modules of the client: name resolution (DataNameRegistry) and sharing-grant checks (DataSharing).
 * Each is either an object implementing the small interface of its feature (bring your own: a cache, an indexer,
 * a mock) or `{ address, abi? }` of a deployed contract, which the client wraps in the adapter of
 * naming/resolver.ts or sharing/grants.ts.
 */
import type { ContractModule } from "../chain/contracts";

export type { ContractModule } from "../chain/contracts";
export type { NameResolver, NameTargetKind, ResolvedName } from "../naming/resolver";
export type { GrantChecker, SharingGrant } from "../sharing/grants";

/** True for `{ address }` (a contract to wrap), false for a ready module object. */
export function isContractModule(value: unknown): value is ContractModule {
  return typeof value === "object" && value !== null && typeof (value as ContractModule).address === "string";
}
