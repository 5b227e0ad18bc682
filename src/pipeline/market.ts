import { numberCell, readCsv, requireColumns, timestampCell } from "../common/csv";

/** A 15-minute price series (EUR/MWh) keyed by the start of each quarter-hour (epoch ms). */
export interface PriceSeries {
  file: string;
  startMs: number;
  endMs: number;
  prices: ReadonlyMap<number, number>;
}

/** Reads `timestamp,price_eur_mwh[,...]` (the Elia imbalance price in data/market). */
export function readPriceCsv(file: string): PriceSeries {
  const table = readCsv(file);
  requireColumns(table, ["timestamp", "price_eur_mwh"]);
  const prices = new Map<number, number>();
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const row of table.rows) {
    const t = timestampCell(table, row, "timestamp");
    prices.set(t, numberCell(table, row, "price_eur_mwh"));
    startMs = Math.min(startMs, t);
    endMs = Math.max(endMs, t);
  }
  if (prices.size === 0) throw new Error(`${file}: no prices`);
  return { file, startMs, endMs, prices };
}

/** The price of the quarter-hour starting at `ms`, or a clear error naming the file and time. */
export function priceAt(series: PriceSeries, ms: number): number {
  const price = series.prices.get(ms);
  if (price === undefined)
    throw new Error(`${series.file}: no price for the quarter-hour starting ${new Date(ms).toISOString()}`);
  return price;
}
