/**
 * Consecutive runs of `items` holding about `records` records each (a run ends once it reaches `records`, so an
 * item is never split): how long work over packages is cut into slices of the event loop's time.
 */
export function* recordSlices<T extends { recordCount: number }>(items: readonly T[], records: number): Generator<T[]> {
  for (let i = 0; i < items.length;) {
    let end = i;
    for (let n = 0; end < items.length && n < records; end++) n += items[end].recordCount;
    yield items.slice(i, end);
    i = end;
  }
}
