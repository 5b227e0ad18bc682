// Entry of the gateway's door thread (see doorThread.ts).
import { workerData } from "node:worker_threads";
import { initMerkle } from "../merkle";
import type { DoorJob, DoorResult } from "./doorThread";
import { serveThread } from "../common/threads";
import { decodePackage, doorDecoded, PackageRejected } from "./wire";

const chainId = BigInt((workerData as { chainId: string }).chainId);

serveThread(
  initMerkle(),
  ({ raw, where }: DoorJob): DoorResult => {
    try {
      const text = typeof raw === "string" ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      return { door: doorDecoded(decodePackage(text, chainId, where)) };
    } catch (e) {
      if (!(e instanceof PackageRejected)) throw e;
      return { rejected: { reason: e.reason, detail: e.detail, terminalId: e.terminalId, packageId: e.packageId } };
    }
  },
  (r) =>
    "door" in r
      ? [
          r.door.leafHashes.buffer as ArrayBuffer,
          r.door.timestamps.buffer as ArrayBuffer,
          r.door.payloadHashes.buffer as ArrayBuffer,
        ]
      : [],
);
