/**
 * Routing and timing defaults of ALGORITHMS.md sections 2-7, each overridable per call.
 * Times in the options are seconds unless the name says ms.
 */
export interface RoutingOptions {
  /** Packet size: a block of D bytes is ceil(D / packetBytes) packets (section 3). */
  packetBytes: number;
  /** Terminal buffer `K` (the papers' `m`), in packets. Not fixed by the papers: 64 x 64 KiB = 4 MiB. */
  bufferPackets: number;
  /** Service rate `mu` in packets/s; null means line rate (fastest link / packet size). */
  serviceRatePps: number | null;
  /** Sampling period: each source sends its block once per period, so it loads links at D / period. */
  periodS: number;
  /** Deadline of a source that does not give its own (the non-real-time class, section 2). */
  deadlineS: number;
  /** Hop bound `Hop_br`. */
  hopBound: number;
  /** Yen's K for QT-DR's candidate paths. */
  kPaths: number;
  /** QT-DR tries this many generators, best by min-max collection delay, and keeps the fastest block. */
  generatorCandidates: number;
  /** Measured time to build the Merkle tree and sign the block, ms (`T_build`). */
  tBuildMs: number;
  /** Size of the block header broadcast twice in P003 Fig. 6. */
  headerBytes: number;
}

/** P003's delay classes (section 2): WAMS real-time data and 15-minute transaction frames. */
export const DELAY_CLASS_S = Object.freeze({ realtime: 0.05, transaction: 1 });

/**
 * `tBuildMs` default: building a Merkle tree over one period's few signed batches and signing the
 * header takes single-digit milliseconds here; the pipeline passes its measured value instead.
 */
export const DEFAULT_T_BUILD_MS = 5;

export const DEFAULT_ROUTING_OPTIONS: Readonly<RoutingOptions> = Object.freeze({
  packetBytes: 64 * 1024,
  bufferPackets: 64,
  serviceRatePps: null,
  periodS: 1,
  deadlineS: DELAY_CLASS_S.transaction,
  hopBound: 16,
  kPaths: 8,
  generatorCandidates: 3,
  tBuildMs: DEFAULT_T_BUILD_MS,
  headerBytes: 256,
});

/** Merges overrides over the defaults and rejects impossible values, naming the option. */
export function resolveRoutingOptions(overrides: Partial<RoutingOptions> = {}): RoutingOptions {
  const o: RoutingOptions = { ...DEFAULT_ROUTING_OPTIONS, ...overrides };
  const positive: (keyof RoutingOptions)[] = ["packetBytes", "periodS", "deadlineS", "headerBytes"];
  for (const k of positive)
    if (!(Number(o[k]) > 0)) throw new RangeError(`routing option ${k} must be > 0, got ${o[k]}`);
  const counts: (keyof RoutingOptions)[] = ["bufferPackets", "hopBound", "kPaths", "generatorCandidates"];
  for (const k of counts) {
    if (!Number.isInteger(o[k]) || Number(o[k]) < 1)
      throw new RangeError(`routing option ${k} must be an integer >= 1`);
  }
  if (!(o.tBuildMs >= 0)) throw new RangeError(`routing option tBuildMs must be >= 0, got ${o.tBuildMs}`);
  if (o.serviceRatePps !== null && !(o.serviceRatePps > 0))
    throw new RangeError(`routing option serviceRatePps must be > 0`);
  return o;
}
