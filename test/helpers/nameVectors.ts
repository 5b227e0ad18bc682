/**
 * Golden namehash vectors shared by the TypeScript test (src/naming) and the contract test (NameHash.sol). GridLedger
 * names read most general first, so each node is the ENS namehash of the reversed name: "eth" and "eth.foo" are
 * EIP-137's own examples ("eth" and "foo.eth"); the others were computed once with ethers and frozen.
 */
export const VALID_NAME_VECTORS: readonly { name: string; node: string }[] = [
  { name: "", node: "0x0000000000000000000000000000000000000000000000000000000000000000" },
  { name: "eth", node: "0x93cdeb708b7545dc668eb9280176169d1c33cfd8ed6f04690a0bcc88a93fc4ae" },
  { name: "eth.foo", node: "0xde9b09fd7c5f901e23a3f19fecc54828e9c848539801e86591bd9801b019f84f" },
  { name: "gz", node: "0x2608e15d8067dfbd102738aa06d0e3d7d63405c5c689ce5968032ec6b1d9d05f" },
  { name: "gz.ieee39", node: "0x7608b2336fbbf0c7b8a33ff6fe32335f8ef13fe0409ebc88675207cca51a8c75" },
  { name: "gz.ieee39.bus13.pmu", node: "0x98f43c6431a92e50ce504b8489d876b107d31919aad069511b8d96c32f39ad27" },
  {
    name: "gz.ieee39.bus13.pmu.day-2026-01-01",
    node: "0x79dd19960b0e5dd300b03709cd528690e2759f52edd9e12708987d5a9de483ab",
  },
  { name: "gz.xn--fiq228c", node: "0x6d0c74e0eea32ded71a2d55fb622908a50fb95e31947a777805f0a45c605853e" },
  { name: "0.1-2.a", node: "0xe4cdc29d5ab14839f9efb85e5230ed8ada7f4baae6fdaac640334c3711eee674" },
  { name: `gz.${"a".repeat(63)}`, node: "0x503b5954864cf5fb22fa47dcf84377dfdd6b2b022490ec374a06fe04ea63caff" },
];

const LONG_LABEL = "a".repeat(63);

/** Malformed names, the custom error both sides raise, and its arguments (as the contract emits them). */
export const INVALID_NAME_VECTORS: readonly { name: string; error: string; args: unknown[] }[] = [
  { name: "gz..pmu", error: "EmptyLabel", args: [] },
  { name: ".gz", error: "EmptyLabel", args: [] },
  { name: "gz.", error: "EmptyLabel", args: [] },
  { name: "Gz.pmu", error: "LabelNotLowercase", args: ["Gz", 0] },
  { name: "gz.bus_13", error: "InvalidLabelCharacter", args: ["bus_13", 3, "0x5f"] },
  { name: "gz.bus 13", error: "InvalidLabelCharacter", args: ["bus 13", 3, "0x20"] },
  { name: "gz.büs", error: "InvalidLabelCharacter", args: ["büs", 1, "0xc3"] },
  { name: "gz.-bus", error: "LabelHyphenAtEdge", args: ["-bus"] },
  { name: "gz.bus-", error: "LabelHyphenAtEdge", args: ["bus-"] },
  { name: `gz.${"a".repeat(64)}`, error: "LabelTooLong", args: ["a".repeat(64), 64] },
  {
    name: `${LONG_LABEL}.${LONG_LABEL}.${LONG_LABEL}.${"a".repeat(62)}`,
    error: "NameTooLong",
    args: [254, 253],
  },
  // Labels are checked left to right on both sides: the first bad label is the one named.
  { name: "A.b_", error: "LabelNotLowercase", args: ["A", 0] },
];
