import { keccak256, toUtf8Bytes } from "ethers";
import { normaliseCaseName } from "./caseNames";

/** Role of a terminal at a bus; P003 places one terminal per bus, so the default is "node". */
export const DEFAULT_TERMINAL_ROLE = "node";

/**
 * The bytes32 ID of the CPPS terminal at `bus` of a case:
 * keccak256(utf8(`${normalisedCaseName}.bus${bus}.${role}`)) as 0x-hex. The case name is normalised
 * first (`case39`, `39` and `ieee39` all give `ieee39`), so every caller derives the same ID.
 */
export function terminalIdFor(caseName: string, bus: number, role: string = DEFAULT_TERMINAL_ROLE): string {
  if (!Number.isInteger(bus) || bus < 0)
    throw new RangeError(`terminalIdFor: bus must be a non-negative integer, got ${bus}`);
  if (role === "" || role.includes("."))
    throw new RangeError(`terminalIdFor: role must be non-empty without ".", got "${role}"`);
  return keccak256(toUtf8Bytes(`${normaliseCaseName(caseName)}.bus${bus}.${role}`));
}
