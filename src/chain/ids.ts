import { id as keccakUtf8, isHexString } from "ethers";

/**
 * A terminal id from user input: a 0x-prefixed 32-byte hex id as is, otherwise the keccak256 of the UTF-8
 * label (the same rule as `terminalIdFor` in src/grid: "ieee39.bus13.pmu" -> keccak256("ieee39.bus13.pmu")).
 */
export function toTerminalId(idOrLabel: string): string {
  const trimmed = idOrLabel.trim();
  if (trimmed === "") throw new Error("empty terminal id");
  if (isHexString(trimmed, 32)) return trimmed.toLowerCase();
  if (trimmed.startsWith("0x")) throw new Error(`terminal id ${trimmed} is 0x-prefixed but not 32 bytes of hex`);
  return keccakUtf8(trimmed);
}
