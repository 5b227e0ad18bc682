/**
 * ENS-style (EIP-137) namehash with GridLedger's label rules: the same bytes as contracts/libraries/NameHash.sol.
 * Names read from the most general label to the most specific ("gz.ieee39.bus13.pmu": "gz" is top-level), so
 *   namehash("")              = 0x00…00
 *   namehash(parent.label)    = keccak256(namehash(parent) ‖ keccak256(utf8(label)))
 * which is the ENS namehash of the reversed name. Labels: 1-63 bytes of [a-z0-9-], no hyphen first or last.
 * Names: at most 253 bytes in all. See docs/naming-sharing.md.
 */
import { concat, keccak256, toUtf8Bytes, ZeroHash } from "ethers";

export const MAX_LABEL_LENGTH = 63;
export const MAX_NAME_LENGTH = 253;
export const ROOT_NODE = ZeroHash;

/** The contract's custom error names, so a TS refusal and an on-chain revert read the same. */
export type NameErrorCode =
  "EmptyLabel" | "LabelTooLong" | "LabelNotLowercase" | "InvalidLabelCharacter" | "LabelHyphenAtEdge" | "NameTooLong";

export class NameError extends Error {
  constructor(
    readonly code: NameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NameError";
  }
}

/** Throws a NameError (named like the contract's custom error) unless `label` is a valid label. */
export function checkLabel(label: string): void {
  const bytes = toUtf8Bytes(label);
  if (bytes.length === 0) throw new NameError("EmptyLabel", "empty label (two dots in a row, or a dot at an end)");
  if (bytes.length > MAX_LABEL_LENGTH) {
    throw new NameError("LabelTooLong", `label "${label}" is ${bytes.length} bytes, more than ${MAX_LABEL_LENGTH}`);
  }
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
    if (ok) continue;
    if (c >= 0x41 && c <= 0x5a) {
      throw new NameError(
        "LabelNotLowercase",
        `label "${label}" has an upper-case letter at byte ${i}: use lower case`,
      );
    }
    throw new NameError(
      "InvalidLabelCharacter",
      `label "${label}" has byte 0x${c.toString(16).padStart(2, "0")} at byte ${i}: only a-z, 0-9 and - are allowed`,
    );
  }
  if (bytes[0] === 0x2d || bytes[bytes.length - 1] === 0x2d) {
    throw new NameError("LabelHyphenAtEdge", `label "${label}" starts or ends with a hyphen`);
  }
}

/** keccak256 of a label's UTF-8 bytes. */
export function labelhash(label: string): string {
  return keccak256(toUtf8Bytes(label));
}

/** The node of `label` under `parent` (the label is not checked). */
export function childNode(parent: string, label: string): string {
  return keccak256(concat([parent, labelhash(label)]));
}

/** Splits and checks a dotted name, most general label first; "" is the root (no labels). */
export function splitName(name: string): string[] {
  const length = toUtf8Bytes(name).length;
  if (length > MAX_NAME_LENGTH) {
    throw new NameError("NameTooLong", `name is ${length} bytes, more than ${MAX_NAME_LENGTH}`);
  }
  if (name === "") return [];
  const labels = name.split(".");
  labels.forEach(checkLabel);
  return labels;
}

/** The namehash of a dotted name such as "gz.ieee39.bus13.pmu", checking every label. */
export function namehash(name: string): string {
  return splitName(name).reduce((node, label) => childNode(node, label), ROOT_NODE);
}

/** The parent name of a dotted name ("" for a top-level name). */
export function parentName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(0, dot);
}
