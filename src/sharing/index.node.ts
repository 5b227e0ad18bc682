/** Sharing encryption: AES-256-GCM records + ECIES (secp256k1, HKDF-SHA256) key wrap, in a versioned bundle. */
export { SharingError, type SharingErrorCode } from "./errors";
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleSchema,
  BundleMetadataSchema,
  type Bundle,
  type BundleMetadata,
  type OpenOptions,
  type OpenedBundle,
  type SealOptions,
  bundleCiphertextHash,
  openBundle,
  parseBundle,
  parseBundleJson,
  sealBundle,
} from "./bundle.node";
export { ECIES_HKDF_INFO, ECIES_HKDF_SALT, deriveWrappingKey, ecdhSharedX } from "./ecies.node";
export {
  type ReceiverKey,
  addressOfPublicKey,
  devAccountPublicKeys,
  parsePrivateKey,
  parsePublicKey,
  publicKeyFromSignature,
  publicKeyOfPrivateKey,
  resolveReceiver,
} from "./keys";
export { type JsonValue, serialiseRecords } from "./records";
