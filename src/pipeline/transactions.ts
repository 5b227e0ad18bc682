import type { GridRecord } from "../merkle";
import type { TerminalDirectory } from "./ingest";

/** Bounds of a credible 15-minute price, EUR/MWh (the Elia series spans -999 to 2548). */
export const PRICE_BOUNDS_EUR_MWH = { min: -1000, max: 5000 } as const;

export type TransactionReason = "UNKNOWN_COUNTERPARTY" | "PRICE_OUT_OF_RANGE" | "FRAME_MISMATCH" | "NEGATIVE_ENERGY";

interface TransactionPayload {
  seller?: unknown;
  buyer?: unknown;
  kwh?: unknown;
  priceEurMwh?: unknown;
  frameStart?: unknown;
}

/** Content checks of a power-transaction record; null when it passes. */
export function checkTransaction(
  record: GridRecord,
  directory: TerminalDirectory,
  windowStart: number,
): { reason: TransactionReason; detail: string } | null {
  const p = record.payload as TransactionPayload;
  for (const party of ["seller", "buyer"] as const) {
    const id = String(p[party] ?? "").toLowerCase();
    if (!directory.get(id)?.active)
      return {
        reason: "UNKNOWN_COUNTERPARTY",
        detail: `${party} ${String(p[party])} is not an active registered terminal`,
      };
  }
  const price = Number(p.priceEurMwh);
  if (!(price >= PRICE_BOUNDS_EUR_MWH.min && price <= PRICE_BOUNDS_EUR_MWH.max)) {
    return {
      reason: "PRICE_OUT_OF_RANGE",
      detail: `price ${String(p.priceEurMwh)} EUR/MWh is outside ${PRICE_BOUNDS_EUR_MWH.min}..${PRICE_BOUNDS_EUR_MWH.max}`,
    };
  }
  if (Date.parse(String(p.frameStart)) !== windowStart * 1000) {
    return {
      reason: "FRAME_MISMATCH",
      detail: `frame ${String(p.frameStart)} is not this period (${new Date(windowStart * 1000).toISOString()})`,
    };
  }
  if (!(Number(p.kwh) >= 0))
    return { reason: "NEGATIVE_ENERGY", detail: `kwh ${String(p.kwh)} is negative or not a number` };
  return null;
}
