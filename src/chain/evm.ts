/**
 * The EVM version every contract is compiled for: accepted by Geth, Besu and anvil alike (no Prague-only opcodes in
 * our bytecode). Not lower: OpenZeppelin 5.7 uses MCOPY (Cancun). docs/networks.md lists what each network runs.
 */
export const EVM_VERSION = "cancun";
