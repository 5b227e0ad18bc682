import type { GridCase } from "../grid/case";
import { medianInPlace } from "./stats";

/**
 * Peer consensus (issue 14): terminals at the same or neighbouring buses see the same underlying load shape, so
 * a terminal drifting away from its peers shows long before its own forecast error is large (a drift of 2% is
 * inside the forecast's error, but far outside the peers' agreement, which is the sensors' noise).
 *
 * Per instant, each reading (in load-series terms: the terminal's value over its scale) is compared with the
 * median of its healthy neighbours' readings at that instant, its own included: `d = value / median - 1`.
 * A neighbour is left out of the median while it is suspect: its last verdict was a quarantine (`noteVerdict`), its
 * own deviation at this instant passes `suspectK` spreads, or its CUSUM is past `suspectCusum` of the threshold
 * (a drift under way, not yet flagged). With two peers, one faulty neighbour would otherwise move the median of
 * three and flag its clean neighbours. Fewer than `minPeers` healthy peers: the reading is not peer-checked.
 * Per source, the deviation from the source's own running offset `b` (a bus whose shape differs a little keeps a steady offset) is checked
 * against the source's running spread `s` (never below its rated noise):
 * - level: `|d - b| > k * s`;
 * - cusum: a two-sided CUSUM of `mean(d - b) / s` over each `stepMinutes` of time, with allowance `cusumK` and
 *   threshold `cusumH`: one step per quarter hour whatever the sampling rate, so a 1 Hz terminal does not get
 *   900 times the false alarms of a quarter-hourly one (its step mean is less noisy, never more).
 * A flagged reading moves neither `b` nor `s`; the CUSUM restarts after each alarm.
 */
export interface PeerReading {
  source: string;
  /** In load-series terms (reading / terminal scale), as given to StreamingValidator.check. */
  value: number;
  /** Rated relative noise of the sensor (floor of its spread). */
  noise?: number;
}

export type PeerRule = "level" | "cusum";

export interface PeerVerdict {
  ok: boolean;
  /** Relative deviation from the peers' median, minus the source's running offset (NaN when not checked). */
  deviation: number;
  /** Peers with a reading at this instant (0: not checked). */
  peers: number;
  rule?: PeerRule;
}

export interface PeerOptions {
  /** Level threshold in running spreads. */
  k: number;
  cusumK: number;
  cusumH: number;
  /** Fewer healthy (not suspect) peers at an instant than this: the reading is not peer-checked. */
  minPeers: number;
  /** A peer whose own deviation at the instant passes this many running spreads is left out of the median. */
  suspectK: number;
  /** A peer whose CUSUM has passed this share of `cusumH` is left out of the median. */
  suspectCusum: number;
  /** Length of a CUSUM step (minutes). */
  stepMinutes: number;
  /** Time constant (hours) of the running offset and spread. */
  memoryHours: number;
  /** Spread floor when a reading has no rated noise. */
  minSpread: number;
}

export const DEFAULT_PEER_OPTIONS: Readonly<PeerOptions> = Object.freeze({
  k: 6,
  cusumK: 0.5,
  cusumH: 6,
  stepMinutes: 15,
  minPeers: 2,
  suspectK: 3,
  suspectCusum: 0.5,
  memoryHours: 24,
  minSpread: 0.002,
});

interface PeerState {
  offset: number;
  spread: number;
  t: number;
  pos: number;
  neg: number;
  /** The open CUSUM step: its start, and the sum and count of its standardised deviations. */
  stepT: number;
  stepSum: number;
  stepN: number;
}

/** What `exportState` gives and `importState` takes (a validate stage's snapshot). */
export interface PeerSnapshot {
  sources: [string, Record<string, number>][];
  quarantined: string[];
}

/**
 * The median of the `sources`' values and `own`, the same as `median` of them, in one fresh array sorted in place:
 * per reading, one array instead of three (the peers' values, them with `own`, and the median's sorted copy).
 */
function medianWith(sources: readonly string[], values: ReadonlyMap<string, number>, own: number): number {
  const xs: number[] = [];
  for (const source of sources) xs.push(values.get(source)!);
  xs.push(own);
  return medianInPlace(xs);
}

/** E|x| / sd of a normal variable. */
const MEAN_ABS_TO_SD = Math.sqrt(2 / Math.PI);
const HOUR_MS = 3_600_000;

export class PeerConsensus {
  readonly options: PeerOptions;
  private readonly state = new Map<string, PeerState>();
  /** Sources whose last reading the validator quarantined (any rule): nobody's peer until one is accepted. */
  private readonly quarantined = new Set<string>();

  /** `neighbourhoods`: for each source, the sources it is compared with (itself excluded). */
  constructor(
    readonly neighbourhoods: ReadonlyMap<string, readonly string[]>,
    options: Partial<PeerOptions> = {},
  ) {
    this.options = { ...DEFAULT_PEER_OPTIONS, ...options };
    const o = this.options;
    if (!(
      o.k > 0 &&
      o.cusumK >= 0 &&
      o.cusumH > 0 &&
      o.minPeers >= 1 &&
      o.suspectK > 0 &&
      o.suspectCusum > 0 &&
      o.memoryHours > 0 &&
      o.minSpread > 0 &&
      o.stepMinutes > 0
    )) {
      throw new Error(`PeerConsensus: invalid options ${JSON.stringify(o)}`);
    }
  }

  /**
   * Neighbourhoods from an IEEE case: a terminal's peers are the other terminals at its bus and at the buses
   * within `hops` in-service branches of it. A terminal with fewer than `minPeers` peers that take readings
   * (`reads`, default true) within `hops` looks further, up to `maxHops`: a meter whose neighbouring buses carry
   * no load would otherwise never be peer-checked (two of the eight drifts of the 8-day IEEE 39 run were on such
   * meters).
   */
  static fromCase(
    grid: Pick<GridCase, "branches">,
    terminals: readonly { terminalId: string; bus: number; reads?: boolean }[],
    hops = 1,
    options: Partial<PeerOptions> = {},
    maxHops = Math.max(hops, 3),
  ): PeerConsensus {
    const minPeers = options.minPeers ?? DEFAULT_PEER_OPTIONS.minPeers;
    const adjacent = new Map<number, Set<number>>();
    const link = (a: number, b: number): void => {
      if (!adjacent.has(a)) adjacent.set(a, new Set());
      adjacent.get(a)!.add(b);
    };
    for (const br of grid.branches) {
      if (br.status !== 1) continue;
      link(br.from, br.to);
      link(br.to, br.from);
    }
    const byBus = new Map<number, string[]>();
    for (const t of terminals) byBus.set(t.bus, [...(byBus.get(t.bus) ?? []), t.terminalId]);
    const hoods = new Map<string, string[]>();
    const reads = new Set(terminals.filter((t) => t.reads !== false).map((t) => t.terminalId));
    for (const t of terminals) {
      const buses = new Set([t.bus]);
      const peersOf = () => [...buses].flatMap((b) => byBus.get(b) ?? []).filter((id) => id !== t.terminalId);
      let frontier = [t.bus];
      for (let h = 0; h < maxHops && frontier.length > 0; h++) {
        if (h >= hops && peersOf().filter((id) => reads.has(id)).length >= minPeers) break;
        frontier = frontier.flatMap((b) => [...(adjacent.get(b) ?? [])].filter((n) => !buses.has(n)));
        frontier.forEach((b) => buses.add(b));
      }
      hoods.set(t.terminalId, peersOf());
    }
    return new PeerConsensus(hoods, options);
  }

  /** Forgets all per-source state. */
  reset(): void {
    this.state.clear();
    this.quarantined.clear();
  }

  /** The per-source state, for a snapshot of a validate stage. */
  exportState(): PeerSnapshot {
    return {
      sources: [...this.state].map(([source, st]) => [source, { ...st }]),
      quarantined: [...this.quarantined],
    };
  }

  /** Restores `exportState`'s per-source state (replacing the current one). */
  importState(state: PeerSnapshot): void {
    this.reset();
    for (const [source, st] of state.sources) this.state.set(source, { ...(st as unknown as PeerState) });
    for (const source of state.quarantined) this.quarantined.add(source);
  }

  /**
   * The validator's final verdict on a source's reading (the stage calls it after each check): a quarantined
   * source is left out of its neighbours' medians until a reading of it is accepted again.
   */
  noteVerdict(source: string, ok: boolean): void {
    if (ok) this.quarantined.delete(source);
    else this.quarantined.add(source);
  }

  /** Checks the readings of one instant against each other; one verdict per reading, by source. */
  checkInstant(t: number, readings: readonly PeerReading[]): Map<string, PeerVerdict> {
    const values = new Map<string, number>();
    const floors = new Map<string, number>();
    for (const r of readings)
      if (Number.isFinite(r.value) && r.value > 0) {
        values.set(r.source, r.value);
        floors.set(r.source, this.floor(r));
      }
    const neighbours = (source: string) => (this.neighbourhoods.get(source) ?? []).filter((p) => values.has(p));
    // First pass: which sources look faulty now, against the median of all their neighbours (state untouched).
    const suspect = new Set<string>();
    for (const [source, value] of values) {
      const st = this.state.get(source);
      if (
        this.quarantined.has(source) ||
        (st && Math.max(st.pos, st.neg) > this.options.suspectCusum * this.options.cusumH)
      ) {
        suspect.add(source);
        continue;
      }
      if (!st) continue;
      const peers = neighbours(source);
      if (peers.length < this.options.minPeers) continue;
      const med = medianWith(peers, values, value);
      if (Math.abs(value / med - 1 - st.offset) > this.options.suspectK * Math.max(st.spread, floors.get(source)!))
        suspect.add(source);
    }
    const out = new Map<string, PeerVerdict>();
    for (const r of readings) {
      const healthy = neighbours(r.source).filter((p) => !suspect.has(p));
      if (healthy.length < this.options.minPeers || !values.has(r.source)) {
        out.set(r.source, { ok: true, deviation: NaN, peers: 0 });
        continue;
      }
      // The reading itself is in the median, so with two healthy peers the median is a robust middle of three.
      const med = medianWith(healthy, values, values.get(r.source)!);
      out.set(r.source, this.judge(r, med, healthy.length, t));
    }
    return out;
  }

  /** The spread floor of a reading: its rated noise, never below `minSpread`. */
  private floor(r: PeerReading): number {
    return Math.max(r.noise ?? 0, this.options.minSpread);
  }

  private judge(r: PeerReading, med: number, peers: number, t: number): PeerVerdict {
    const o = this.options;
    const floor = this.floor(r);
    let st = this.state.get(r.source);
    if (!st) {
      st = { offset: 0, spread: floor, t, pos: 0, neg: 0, stepT: t, stepSum: 0, stepN: 0 };
      this.state.set(r.source, st);
    }
    const s = Math.max(st.spread, floor);
    const d = r.value / med - 1 - st.offset;
    const z = d / s;
    const level = Math.abs(z) > o.k;
    let cusum = false;
    if (!level) {
      st.stepSum += z;
      st.stepN++;
      if (t - st.stepT >= o.stepMinutes * 60_000 * (1 - 1e-9)) {
        const zStep = st.stepSum / st.stepN;
        st.pos = Math.max(0, st.pos + zStep - o.cusumK);
        st.neg = Math.max(0, st.neg - zStep - o.cusumK);
        cusum = Math.max(st.pos, st.neg) > o.cusumH;
        st.stepT = t;
        st.stepSum = 0;
        st.stepN = 0;
      }
    }
    if (level || cusum) {
      st.pos = 0;
      st.neg = 0;
      return { ok: false, deviation: d, peers, rule: level ? "level" : "cusum" };
    }
    const w = 1 - Math.exp(-Math.max(0, t - st.t) / (o.memoryHours * HOUR_MS));
    st.offset += w * d;
    st.spread += w * (Math.min(Math.abs(d), 3 * s) / MEAN_ABS_TO_SD - st.spread);
    st.t = t;
    return { ok: true, deviation: d, peers };
  }
}
