import { Contract, type Provider, type Signer, type ContractRunner } from "ethers";
import { anchorRecords, type AnchorOutcome, type AnchorRequest } from "../chain/anchor";
import { buildBatchProofs, parseProofs, type BatchProofs } from "../chain/proofs";
import {
  checkCoreVersions,
  checkVersions,
  connectCore,
  type CoreContracts,
  type DataAcquisition,
  type TerminalRegistry,
} from "../chain/contracts";
import { parseDeployment, type Deployment } from "../chain/deployments";
import { toTerminalId } from "../chain/ids";
import {
  listTerminals,
  registerTerminals,
  toTerminalSpecs,
  type RegistrationReport,
  type TerminalEntry,
  type TerminalRow,
} from "../terminals/registration";
import { listBatches, type AnchoredBatch } from "../chain/streams";
import { verifyRecordOnChain, type RecordVerification } from "../chain/verify";
import { parseRecord, type GridRecord, type RecordProof } from "../merkle";
import {
  isContractModule,
  type ContractModule,
  type GrantChecker,
  type NameResolver,
  type ResolvedName,
  type SharingGrant,
} from "./modules";
import { nameRegistryResolver } from "../naming/resolver";
import { sharingGrantChecker } from "../sharing/grants";

const VERSION_ABI = ["function version() view returns (string)"];
import { watchBatches, type Unsubscribe, type WatchBatchesOptions } from "./watch";

/** Where the core contracts live. */
export interface GridLedgerAddresses {
  registry: string;
  acquisition: string;
}

export interface GridLedgerClientOptions {
  /** Name resolution: a NameResolver, or a DataNameRegistry `{ address, abi? }`. */
  names?: NameResolver | ContractModule;
  /** Sharing-grant checks: a GrantChecker, or a DataSharing `{ address, abi? }`. */
  sharing?: GrantChecker | ContractModule;
}

/** An anchoring request: like src/chain's, with the terminal by label or id and no contracts to pass. */
export interface AnchorBatchRequest extends Omit<AnchorRequest, "core" | "terminalId"> {
  /** The stream terminal, by label ("ieee39.bus5.pmu") or 0x id. */
  terminal: string;
}

/** The outcome of anchoring, with every record's proof ready to hand out (the `<file>.proofs.json` content). */
export interface AnchorBatchResult extends AnchorOutcome {
  proofs: BatchProofs;
}

/**
 * A typed client for a GridLedger deployment over an ethers v6 Provider (read only) or Signer (reads and
 * transactions). It runs in Node and in browsers.
 */
export class GridLedgerClient {
  /** The TypeChain-typed contracts, for anything the client does not wrap. */
  readonly core: CoreContracts;
  readonly provider: Provider;
  private readonly names: NameResolver | undefined;
  private readonly sharing: GrantChecker | undefined;

  constructor(
    readonly runner: Provider | Signer,
    addresses: GridLedgerAddresses,
    options: GridLedgerClientOptions = {},
  ) {
    const provider = runner.provider;
    if (!provider) throw new Error("GridLedgerClient: the signer is not connected to a provider");
    this.provider = provider;
    this.core = connectCore(addresses, runner);
    this.names = isContractModule(options.names) ? nameRegistryResolver(options.names, runner) : options.names;
    this.sharing = isContractModule(options.sharing) ? sharingGrantChecker(options.sharing, runner) : options.sharing;
  }

  /**
   * A client for a deployments file's content (`deployments/<network>-<chainId>.json`, parsed JSON or already
   * validated). Name and sharing modules come from the file too when it lists DataNameRegistry or DataSharing,
   * unless `options` sets them. Refuses a file made for another chain, or addresses without code.
   */
  static async fromDeployment(
    runner: Provider | Signer,
    deployment: Deployment | unknown,
    options: GridLedgerClientOptions = {},
  ): Promise<GridLedgerClient> {
    const d = parseDeployment(deployment, "deployment");
    const registry = d.contracts.TerminalRegistry?.address;
    const acquisition = d.contracts.DataAcquisition?.address;
    if (!registry || !acquisition) {
      throw new Error(`deployment ${d.network}-${d.chainId}: TerminalRegistry and DataAcquisition must both be listed`);
    }
    const names = d.contracts.DataNameRegistry?.address;
    const sharing = d.contracts.DataSharing?.address;
    const client = new GridLedgerClient(
      runner,
      { registry, acquisition },
      {
        names: options.names ?? (names ? { address: names } : undefined),
        sharing: options.sharing ?? (sharing ? { address: sharing } : undefined),
      },
    );
    const chainId = await client.chainId();
    if (chainId !== BigInt(d.chainId)) {
      throw new Error(
        `deployment ${d.network}-${d.chainId} is for chain ${d.chainId}, but the node is chain ${chainId}`,
      );
    }
    if ((await client.provider.getCode(acquisition)) === "0x") {
      throw new Error(
        `deployment ${d.network}-${d.chainId}: no contract code at DataAcquisition ${acquisition} (was the node reset? deploy again)`,
      );
    }
    await checkCoreVersions(client.core);
    // The SDK talks to the optional modules through hand-written fragments; check their release all the same.
    await checkVersions(
      (
        [
          ["DataNameRegistry", names],
          ["DataSharing", sharing],
        ] as const
      )
        .filter(([, address]) => address !== undefined)
        .map(([name, address]) => {
          const contract = new Contract(address!, VERSION_ABI, runner);
          return { name, address: address!, contract: { version: () => contract.getFunction("version")() } };
        }),
    );
    return client;
  }

  get registry(): TerminalRegistry {
    return this.core.registry;
  }

  get acquisition(): DataAcquisition {
    return this.core.acquisition;
  }

  async chainId(): Promise<bigint> {
    return (await this.provider.getNetwork()).chainId;
  }

  // ------------------------------------------------------------------ terminals

  /**
   * Registers terminals, skipping those already registered with the same signer. Entries are as in a terminals
   * file: `{ id: "ieee39.bus5.pmu", kind: "PMU", grid: "ieee39", bus: 5, signer? }`; without a signer, the
   * development key derived from `mnemonic` (default: the Hardhat/anvil test mnemonic) is bound.
   */
  async registerTerminals(
    entries: readonly TerminalEntry[],
    options: { mnemonic?: string } = {},
  ): Promise<RegistrationReport> {
    this.requireSigner("registerTerminals");
    const specs = toTerminalSpecs(
      entries.map((raw, i) => ({ raw, line: i + 1 })),
      "terminals",
      options.mnemonic,
    );
    return registerTerminals(this.core, specs, "terminals");
  }

  /** Every registered terminal, in registration order. */
  listTerminals(): Promise<TerminalRow[]> {
    return listTerminals(this.core);
  }

  // ------------------------------------------------------------------ batches

  /**
   * Builds the Merkle tree of `records`, checks the batch against the chain (policy, terminal, key, window,
   * stream) and only then has the terminal key sign the header and sends it. Refusals throw AnchorRefusedError
   * before any transaction. Returns the batch and every record's proof.
   */
  async anchorBatch(request: AnchorBatchRequest): Promise<AnchorBatchResult> {
    this.requireSigner("anchorBatch");
    const { terminal, ...rest } = request;
    const outcome = await anchorRecords({ ...rest, core: this.core, terminalId: toTerminalId(terminal) });
    const proofs = buildBatchProofs(
      outcome.tree,
      request.records,
      {
        batchId: Number(outcome.batchId),
        blockNumber: outcome.blockNumber,
        chainId: Number(outcome.chainId),
        contract: outcome.contract as `0x${string}`,
        ...(outcome.txHash ? { txHash: outcome.txHash as `0x${string}` } : {}),
      },
      outcome.packages,
    );
    return { ...outcome, proofs };
  }

  /** Anchored batches from events, oldest first; filter by terminal (label or id), root, batch id or blocks. */
  listBatches(
    filter: { terminal?: string; merkleRoot?: string; batchId?: bigint; fromBlock?: number; toBlock?: number } = {},
  ): Promise<AnchoredBatch[]> {
    const { terminal, ...rest } = filter;
    return listBatches(this.acquisition, {
      ...rest,
      ...(terminal === undefined ? {} : { terminalId: toTerminalId(terminal) }),
    });
  }

  /**
   * Calls `onBatch` for every batch anchored from now on (or from `options.fromBlock`), by polling: works over
   * HTTP, WebSocket and browser wallets alike. Returns the function that stops it.
   */
  watchBatches(
    onBatch: (batch: AnchoredBatch) => void | Promise<void>,
    options: WatchBatchesOptions = {},
  ): Unsubscribe {
    return watchBatches(this.acquisition, this.provider, onBatch, options);
  }

  // ------------------------------------------------------------------ verification

  /**
   * Whether a record is anchored, given proofs: an array of record proofs, a batch proofs file or a single
   * record proof file (parsed JSON is validated here). A record that differs from the anchored one in any bit
   * comes back with verdict "tampered".
   */
  async verifyRecord(
    record: GridRecord | unknown,
    proofs: readonly RecordProof[] | BatchProofs | unknown,
  ): Promise<RecordVerification> {
    const parsedRecord = parseRecord(record, "record");
    const parsedProofs = Array.isArray(proofs)
      ? proofs.map((p, i) => parseProofs(p, `proofs[${i}]`)).flat()
      : parseProofs(proofs, "proofs");
    return verifyRecordOnChain(this.core, parsedRecord, parsedProofs);
  }

  /** Verifies a single record proof entry (one element of a batch proofs file) with the record it carries. */
  async verifyProofEntry(entry: RecordProof | unknown): Promise<RecordVerification> {
    const [proof] = parseProofs(entry, "proof");
    return verifyRecordOnChain(this.core, proof.record, [proof]);
  }

  // ------------------------------------------------------------------ names and sharing

  /** What a GridLedger name resolves to (undefined when unregistered). Needs the names module. */
  async resolveName(name: string): Promise<ResolvedName | undefined> {
    if (!this.names) {
      throw new Error(
        "resolveName: no name service configured: pass options.names (a DataNameRegistry address or a NameResolver)",
      );
    }
    return this.names.resolve(name);
  }

  /** A receiver's grant on a dataset and whether it is in force now. Needs the sharing module. */
  async checkGrant(datasetId: bigint | number, receiver: string): Promise<SharingGrant> {
    if (!this.sharing) {
      throw new Error(
        "checkGrant: no sharing contract configured: pass options.sharing (a DataSharing address or a GrantChecker)",
      );
    }
    return this.sharing.checkGrant(BigInt(datasetId), receiver);
  }

  /** Whether `receiver` may access the dataset now. Needs the sharing module. */
  async isAuthorized(datasetId: bigint | number, receiver: string): Promise<boolean> {
    return (await this.checkGrant(datasetId, receiver)).authorized;
  }

  private requireSigner(what: string): void {
    const runner = this.runner as ContractRunner;
    if (typeof runner.sendTransaction !== "function") {
      throw new Error(`${what}: the client is connected to a read-only provider; connect it with a Signer`);
    }
  }
}
