import { join } from "node:path";
import { ThreadClient } from "../common/threads";
import { PackageRejected, withSigner, type DoorDecoded, type DoorPackage, type RejectionReason } from "./wire";

export interface DoorJob {
  raw: Uint8Array | string;
  /** Names the source in refusals (e.g. `mqtt gridledger/v1/0x…/packages`). */
  where: string;
}
export type DoorResult =
  | { door: DoorDecoded }
  | { rejected: { reason: RejectionReason; detail: string; terminalId: string | null; packageId: string | null } };

/**
 * The door's CPU work on a worker thread: parsing a package, checking its schema and its payloads' schemas,
 * hashing every record (canonical JSON and keccak) and its EIP-712 digest, about 25-30 us a record, which held the
 * gateway's event loop (and so every acknowledgement and period close) at 10,000 records/s. What comes back is
 * the package's hashes (moved, nothing per record is copied) and payload issues; its signer is recovered on the
 * event loop (a fraction of a millisecond a package), and the registry, replay and clock checks and the journal
 * stay there too. One thread: a terminal's packages reach the journal in the order they came.
 */
export class DoorThread {
  private readonly thread: ThreadClient<DoorJob, DoorResult>;

  constructor(chainId: bigint) {
    this.thread = new ThreadClient(join(__dirname, "doorThreadMain"), "door thread", { chainId: chainId.toString() });
  }

  /** Decodes a package off the event loop; throws PackageRejected as `decodePackage` does. */
  async decode(raw: Buffer | string, where: string): Promise<DoorPackage> {
    const r = await this.thread.call({ raw: typeof raw === "string" ? raw : new Uint8Array(raw), where });
    if ("door" in r) return withSigner(r.door);
    const { reason, detail, terminalId, packageId } = r.rejected;
    throw new PackageRejected(reason, detail, terminalId, packageId);
  }

  /** Starts the thread and resolves once it answers (so the first package does not wait for it to load). */
  async ready(): Promise<void> {
    await this.decode("", "warm-up").catch((e: unknown) => {
      if (!(e instanceof PackageRejected)) throw e;
    });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
