/**
 * GridLedger SDK: a typed ethers v6 client for dApps, plus the record, proof and deployment formats. This entry
 * runs in Node and in browsers (no Node built-ins); `gridledger/node` adds file helpers. See docs/sdk.md.
 */
export {
  GridLedgerClient,
  type AnchorBatchRequest,
  type AnchorBatchResult,
  type GridLedgerAddresses,
  type GridLedgerClientOptions,
} from "./client";
export { watchBatches, type Unsubscribe, type WatchBatchesOptions } from "./watch";
export {
  type ContractModule,
  type GrantChecker,
  type NameResolver,
  type NameTargetKind,
  type ResolvedName,
  type SharingGrant,
} from "./modules";
export { NAME_REGISTRY_ABI, nameRegistryResolver } from "../naming/resolver";
export { SHARING_ABI, sharingGrantChecker } from "../sharing/grants";

// Chain: contracts, formats and errors the client's methods take and return.
export { AnchorRefusedError, windowFor, type AnchorOutcome, type AnchorRefusal } from "../chain/anchor";
export { BATCH_PROOFS_FORMAT, buildBatchProofs, parseProofs, type BatchProofs } from "../chain/proofs";
export { connectCore, type CoreContracts, type DataAcquisition, type TerminalRegistry } from "../chain/contracts";
export {
  CONTRACT_NAMES,
  parseDeployment,
  type ContractName,
  type DeployedContract,
  type Deployment,
} from "../chain/deployments";
export { DEV_MNEMONIC, devTerminalWallet } from "../chain/keys";
export { acquisitionDomain, BATCH_HEADER_TYPES, hashHeader, headerDigest, signHeader } from "../chain/eip712";
export { ContractRevertError, decodeRevert } from "../chain/errors";
export { toTerminalId } from "../chain/ids";
export { DEFAULT_POLICIES } from "../chain/policies";
export {
  type RegistrationReport,
  type TerminalEntry,
  type TerminalRow,
  type TerminalSpec,
} from "../terminals/registration";
export { type AnchoredBatch } from "../chain/streams";
export {
  DataType,
  TerminalKind,
  TerminalStatus,
  TriggerMode,
  type BatchHeader,
  type Location,
  type Policy,
} from "../chain/types";
export { type RecordVerification, type Verdict } from "../chain/verify";

// Records, leaves and Merkle trees.
export {
  checkRecordProof,
  FastMerkleTree,
  initMerkle,
  parseRecord,
  parseRecordProof,
  payloadHash,
  RECORD_PROOF_FORMAT,
  RECORD_PROOF_FORMAT_V1,
  RecordKind,
  recordLeaf,
  recordLeafHash,
  type BatchInfo,
  type GridRecord,
  type RecordLeaf,
  type RecordProof,
} from "../merkle";
