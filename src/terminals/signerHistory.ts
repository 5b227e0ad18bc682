/**
 * A terminal's signer history as the registry keeps it (unix seconds; `validUntil` 0 = still valid).
 *
 * The first key also covers every time before its `validFrom`: a meter's history recorded before the terminal was
 * registered on-chain (a backfill) is signed with the key it was registered with. Later keys count only from their
 * rotation. `TerminalRegistry.signerAt` applies the same rule on-chain.
 */
export interface SignerEpochLike {
  signer: string;
  validFrom: number | bigint;
  validUntil: number | bigint;
}

function covers(epochs: readonly SignerEpochLike[], i: number, start: number, end: number): boolean {
  const e = epochs[i];
  const from = i === 0 ? -Infinity : Number(e.validFrom);
  const until = Number(e.validUntil) === 0 ? Infinity : Number(e.validUntil);
  return from < end && until > start;
}

/** The key the terminal held at unix second `t`, or undefined if none. */
export function keyHeldAt(epochs: readonly SignerEpochLike[], t: number): string | undefined {
  for (let i = epochs.length - 1; i >= 0; i--) if (covers(epochs, i, t, t + 1)) return epochs[i].signer;
  return undefined;
}

/** Every key the terminal held at some point of [start, end). */
export function keysHeldDuring(epochs: readonly SignerEpochLike[], start: number, end: number): string[] {
  return epochs.filter((_, i) => covers(epochs, i, start, end)).map((e) => e.signer);
}
