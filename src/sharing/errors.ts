/** What went wrong while sealing or opening a sharing bundle. */
export type SharingErrorCode =
  /** A public or private key is malformed or not on secp256k1. */
  | "BAD_KEY"
  /** Records cannot be serialised to exact JSON (non-finite number, bigint, undefined, ...). */
  | "BAD_RECORDS"
  /** The bundle JSON does not match the schema; the message names the field. */
  | "BAD_BUNDLE"
  /** The private key given is not the bundle's receiver key. */
  | "WRONG_KEY"
  /** The stated or on-chain ciphertext hash does not match the records ciphertext. */
  | "HASH_MISMATCH"
  /** AES-GCM authentication of the wrapped data key failed. */
  | "TAMPERED_WRAPPED_KEY"
  /** AES-GCM authentication of the records ciphertext failed. */
  | "TAMPERED_CIPHERTEXT";

/** A sharing failure with a machine-readable code and a message a user can act on. */
export class SharingError extends Error {
  constructor(
    readonly code: SharingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SharingError";
  }
}
