import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** AES-256-GCM output: 12-byte IV, 16-byte tag, ciphertext of the plaintext's length. */
export interface Sealed {
  iv: Uint8Array;
  tag: Uint8Array;
  ciphertext: Uint8Array;
}

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** Encrypts with AES-256-GCM under a fresh random 96-bit IV (never reused: each key seals once or twice). */
export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: new Uint8Array(iv), tag: new Uint8Array(cipher.getAuthTag()), ciphertext: new Uint8Array(ciphertext) };
}

/** Decrypts AES-256-GCM; returns undefined when authentication fails (the caller names the cause). */
export function gcmOpen(key: Uint8Array, sealed: Sealed, aad: Uint8Array): Uint8Array | undefined {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]));
  } catch (err) {
    // Node reports every GCM tag mismatch with this one message; anything else is a real bug.
    if (err instanceof Error && /unable to authenticate data/.test(err.message)) return undefined;
    throw err;
  }
}
