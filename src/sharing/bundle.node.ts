import { randomBytes } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import canonicalize from "canonicalize";
import { z } from "zod";
import { IV_BYTES, KEY_BYTES, Sealed, TAG_BYTES, gcmOpen, gcmSeal } from "./aead.node";
import { unwrapDataKey, wrapDataKey } from "./ecies.node";
import { SharingError } from "./errors";
import { ReceiverKey, bytesToHex, hexToBytes, parsePublicKey, publicKeyOfPrivateKey } from "./keys";
import { JsonValue, parseRecords, serialiseRecords } from "./records";

export const BUNDLE_FORMAT = "gridledger-share-bundle";
export const BUNDLE_VERSION = 1;

const hexBytes = (n: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-f]{${2 * n}}$`), `expected 0x and ${n} bytes of lowercase hex`);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64");

/** Plaintext the receiver needs to verify the records' Merkle proofs against on-chain roots. */
export const BundleMetadataSchema = z.strictObject({
  /** Number of records inside the ciphertext (checked after decryption). */
  recordCount: z.number().int().nonnegative(),
  /** The anchored batches the records come from: batch id (decimal string, uint64-safe) and Merkle root. */
  batches: z.array(
    z.strictObject({ batchId: z.string().regex(/^\d+$/, "expected a decimal integer"), root: hexBytes(32) }),
  ),
  /** Chain and DataSharing contract the grant lives on, when known. */
  chainId: z.number().int().positive().optional(),
  contract: address.optional(),
  /** Free-form descriptive fields (terminal, time range, ...). */
  attributes: z.record(z.string(), z.string()).optional(),
});
export type BundleMetadata = z.infer<typeof BundleMetadataSchema>;

export const BundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  /** Algorithm identifiers, fixed for version 1; a reader rejects anything else. */
  algorithms: z.strictObject({
    curve: z.literal("secp256k1"),
    kdf: z.literal("hkdf-sha256"),
    cipher: z.literal("aes-256-gcm"),
    hash: z.literal("keccak256"),
  }),
  datasetId: z.string().min(1).max(256),
  receiver: z.strictObject({ address, publicKey: hexBytes(33) }),
  ephemeralPublicKey: hexBytes(33),
  wrappedKey: z.strictObject({ iv: hexBytes(IV_BYTES), tag: hexBytes(TAG_BYTES), ciphertext: hexBytes(KEY_BYTES) }),
  records: z.strictObject({ iv: hexBytes(IV_BYTES), tag: hexBytes(TAG_BYTES), ciphertext: base64 }),
  /** keccak256(iv || ciphertext || tag) of the records; the value recorded on-chain with the grant. */
  ciphertextHash: hexBytes(32),
  metadata: BundleMetadataSchema,
});
export type Bundle = z.infer<typeof BundleSchema>;

/** Validates against a schema, naming the first bad field in the error. */
function check<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new SharingError("BAD_BUNDLE", `${source}: field ${field}: ${issue.message}`);
  }
  return result.data;
}

/** Validates untrusted bundle JSON, naming the first bad field. */
export function parseBundle(value: unknown, source = "bundle"): Bundle {
  return check(BundleSchema, value, source);
}

/** Parses bundle file text (JSON) and validates it. */
export function parseBundleJson(text: string, source = "bundle"): Bundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SharingError("BAD_BUNDLE", `${source}: not JSON: ${(err as Error).message}`);
  }
  return parseBundle(value, source);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Additional authenticated data. Both GCM operations bind the dataset id and receiver address, and
 * the records also bind a digest of the metadata, so none of them can be swapped without the open
 * failing. Each AAD is a JSON array with a purpose label, so the two can never be confused.
 */
function keyAad(datasetId: string, receiverAddress: string): Uint8Array {
  return utf8(JSON.stringify([BUNDLE_FORMAT, BUNDLE_VERSION, "data-key", datasetId, receiverAddress.toLowerCase()]));
}
function recordsAad(datasetId: string, receiverAddress: string, metadata: BundleMetadata): Uint8Array {
  const digest = bytesToHex(keccak_256(utf8(canonicalize(metadata) ?? "")));
  return utf8(
    JSON.stringify([BUNDLE_FORMAT, BUNDLE_VERSION, "records", datasetId, receiverAddress.toLowerCase(), digest]),
  );
}

function sealedRecords(bundle: Bundle): Sealed {
  return {
    iv: hexToBytes(bundle.records.iv, "records.iv"),
    tag: hexToBytes(bundle.records.tag, "records.tag"),
    ciphertext: new Uint8Array(Buffer.from(bundle.records.ciphertext, "base64")),
  };
}

function hashSealed(sealed: Sealed): string {
  const all = new Uint8Array(sealed.iv.length + sealed.ciphertext.length + sealed.tag.length);
  all.set(sealed.iv);
  all.set(sealed.ciphertext, sealed.iv.length);
  all.set(sealed.tag, sealed.iv.length + sealed.ciphertext.length);
  return bytesToHex(keccak_256(all));
}

/** keccak256(iv || ciphertext || tag) of the bundle's records, recomputed from the bundle (0x, 32 bytes). */
export function bundleCiphertextHash(bundle: Bundle): string {
  return hashSealed(sealedRecords(bundle));
}

export interface SealOptions {
  /** Dataset id as registered on-chain (decimal id, bytes32 hex or name). */
  datasetId: string;
  /** The records to share, as JSON values; serialised once and encrypted as those exact bytes. */
  records: readonly unknown[];
  /** The receiver's secp256k1 public key: hex (compressed, uncompressed or raw x||y) or parsed. */
  receiverPublicKey: string | ReceiverKey;
  /** Batches the records belong to (batch id + Merkle root), so the receiver can verify proofs. */
  batches?: BundleMetadata["batches"];
  chainId?: number;
  contract?: string;
  attributes?: Record<string, string>;
}

const SealInputSchema = BundleSchema.pick({ datasetId: true, metadata: true });

/** Encrypts records for one receiver and returns the bundle (write it with JSON.stringify). */
export function sealBundle(opts: SealOptions): Bundle {
  const receiver =
    typeof opts.receiverPublicKey === "string" ? parsePublicKey(opts.receiverPublicKey) : opts.receiverPublicKey;
  const plaintext = serialiseRecords(opts.records);
  const { datasetId, metadata } = check(
    SealInputSchema,
    {
      datasetId: opts.datasetId,
      metadata: {
        recordCount: opts.records.length,
        batches: opts.batches ?? [],
        ...(opts.chainId !== undefined && { chainId: opts.chainId }),
        ...(opts.contract !== undefined && { contract: opts.contract }),
        ...(opts.attributes !== undefined && { attributes: opts.attributes }),
      },
    },
    "sealBundle",
  );
  const dataKey = new Uint8Array(randomBytes(KEY_BYTES));
  const sealed = gcmSeal(dataKey, plaintext, recordsAad(datasetId, receiver.address, metadata));
  const wrapped = wrapDataKey(dataKey, receiver.compressed, keyAad(datasetId, receiver.address));
  dataKey.fill(0);
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    algorithms: { curve: "secp256k1", kdf: "hkdf-sha256", cipher: "aes-256-gcm", hash: "keccak256" },
    datasetId,
    receiver: { address: receiver.address, publicKey: bytesToHex(receiver.compressed) },
    ephemeralPublicKey: bytesToHex(wrapped.ephemeralPublicKey),
    wrappedKey: {
      iv: bytesToHex(wrapped.iv),
      tag: bytesToHex(wrapped.tag),
      ciphertext: bytesToHex(wrapped.ciphertext),
    },
    records: {
      iv: bytesToHex(sealed.iv),
      tag: bytesToHex(sealed.tag),
      ciphertext: Buffer.from(sealed.ciphertext).toString("base64"),
    },
    ciphertextHash: hashSealed(sealed),
    metadata,
  };
}

export interface OpenedBundle {
  /** The records, parsed from `plaintext`. */
  records: JsonValue[];
  /** The exact serialised bytes the provider encrypted. */
  plaintext: Uint8Array;
  datasetId: string;
  metadata: BundleMetadata;
  ciphertextHash: string;
}

export interface OpenOptions {
  /** The ciphertext hash recorded on-chain with the grant; checked when given. */
  expectedCiphertextHash?: string;
}

/**
 * Decrypts a bundle with the receiver's 32-byte private key. Checks, in order: schema, that the
 * key is the addressed receiver, the ciphertext hash (stated and, if given, on-chain), the key
 * wrap, the records. Each failure is a SharingError with its own code.
 */
export function openBundle(bundleJson: unknown, receiverPrivateKey: Uint8Array, opts: OpenOptions = {}): OpenedBundle {
  const bundle = parseBundle(bundleJson);
  const me = publicKeyOfPrivateKey(receiverPrivateKey);
  const mine = bytesToHex(me.compressed);
  if (mine !== bundle.receiver.publicKey) {
    throw new SharingError(
      "WRONG_KEY",
      `this bundle is not addressed to key ${mine} (${me.address}); it is for ${bundle.receiver.publicKey} (${bundle.receiver.address})`,
    );
  }
  if (me.address.toLowerCase() !== bundle.receiver.address.toLowerCase()) {
    throw new SharingError(
      "BAD_BUNDLE",
      `bundle: field receiver.address: ${bundle.receiver.address} is not the address of receiver.publicKey (${me.address})`,
    );
  }
  const sealed = sealedRecords(bundle);
  const actualHash = hashSealed(sealed);
  if (actualHash !== bundle.ciphertextHash) {
    throw new SharingError(
      "HASH_MISMATCH",
      `records ciphertext hashes to ${actualHash} but the bundle states ciphertextHash ${bundle.ciphertextHash}: the ciphertext was altered`,
    );
  }
  if (opts.expectedCiphertextHash !== undefined && opts.expectedCiphertextHash.toLowerCase() !== actualHash) {
    throw new SharingError(
      "HASH_MISMATCH",
      `records ciphertext hashes to ${actualHash} but the grant records ${opts.expectedCiphertextHash}: this is not the granted bundle`,
    );
  }
  const wrapped = {
    ephemeralPublicKey: hexToBytes(bundle.ephemeralPublicKey, "ephemeralPublicKey"),
    iv: hexToBytes(bundle.wrappedKey.iv, "wrappedKey.iv"),
    tag: hexToBytes(bundle.wrappedKey.tag, "wrappedKey.tag"),
    ciphertext: hexToBytes(bundle.wrappedKey.ciphertext, "wrappedKey.ciphertext"),
  };
  let dataKey: Uint8Array | undefined;
  try {
    dataKey = unwrapDataKey(wrapped, receiverPrivateKey, keyAad(bundle.datasetId, bundle.receiver.address));
  } catch (err) {
    // An ephemeral key that is not a curve point is tampering too.
    throw new SharingError("TAMPERED_WRAPPED_KEY", `cannot unwrap the data key: ${(err as Error).message}`);
  }
  if (!dataKey) {
    throw new SharingError(
      "TAMPERED_WRAPPED_KEY",
      "cannot unwrap the data key (AES-GCM authentication failed): the wrapped key, ephemeral key, dataset id or receiver address was altered",
    );
  }
  const plaintext = gcmOpen(dataKey, sealed, recordsAad(bundle.datasetId, bundle.receiver.address, bundle.metadata));
  dataKey.fill(0);
  if (!plaintext) {
    throw new SharingError(
      "TAMPERED_CIPHERTEXT",
      "records failed AES-GCM authentication: the records iv/tag/ciphertext, dataset id, receiver or metadata was altered",
    );
  }
  const records = parseRecords(plaintext);
  if (records.length !== bundle.metadata.recordCount) {
    throw new SharingError(
      "BAD_BUNDLE",
      `bundle: field metadata.recordCount: states ${bundle.metadata.recordCount} but ${records.length} records decrypted`,
    );
  }
  return { records, plaintext, datasetId: bundle.datasetId, metadata: bundle.metadata, ciphertextHash: actualHash };
}
