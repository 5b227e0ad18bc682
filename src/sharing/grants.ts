/** The DataSharing adapter: reads a receiver's grant and whether it is in force now. */
import { Contract, type ContractRunner, type InterfaceAbi } from "ethers";
import type { ContractModule } from "../chain/contracts";

/** A receiver's access to a dataset. Times are unix seconds, 0 when not set. */
export interface SharingGrant {
  /** Granted, not revoked and not expired, now. */
  authorized: boolean;
  grantedAt: number;
  expiresAt: number;
  revokedAt: number;
  /** The committed bundle ciphertext hash (zero when never granted). */
  ciphertextHash: string;
}

/** Answers whether a receiver may access a dataset now. */
export interface GrantChecker {
  checkGrant(datasetId: bigint, receiver: string): Promise<SharingGrant>;
}

/** The part of IDataSharing the adapter calls. */
export const SHARING_ABI: InterfaceAbi = [
  "function isAuthorized(uint64 datasetId, address receiver) view returns (bool)",
  "function grantOf(uint64 datasetId, address receiver) view returns (tuple(uint40 grantedAt, uint40 expiresAt, uint40 revokedAt, bytes32 ciphertextHash))",
];

/** Checks grants with a deployed DataSharing. */
export function sharingGrantChecker(module: ContractModule, runner: ContractRunner): GrantChecker {
  const sharing = new Contract(module.address, module.abi ?? SHARING_ABI, runner);
  return {
    async checkGrant(datasetId: bigint, receiver: string): Promise<SharingGrant> {
      const [authorized, grant] = (await Promise.all([
        sharing.isAuthorized(datasetId, receiver),
        sharing.grantOf(datasetId, receiver),
      ])) as [boolean, { grantedAt: bigint; expiresAt: bigint; revokedAt: bigint; ciphertextHash: string }];
      return {
        authorized,
        grantedAt: Number(grant.grantedAt),
        expiresAt: Number(grant.expiresAt),
        revokedAt: Number(grant.revokedAt),
        ciphertextHash: grant.ciphertextHash,
      };
    },
  };
}
