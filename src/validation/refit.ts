import type { LocalClock } from "./clock";
import { buildDataset, type Dataset } from "./dataset";
import type { LoadHistory } from "./history";
import type { ValidatorModel } from "./model";
import type { LoadSeries } from "./series";
import { refitModel } from "./train";

/**
 * Rolling refit: every `everyDays`, the SVR (and ELM) is refitted with its hyper-parameters on the trailing
 * `windowDays` of the validated history, so the model follows the load as it changes (a new year, new
 * appliances) instead of being trained once. The residual calibration (sd_res, rho, per-hour spread) is kept:
 * it was measured out of sample, which a refit on the same trailing rows could not redo.
 */
export interface RefitOptions {
  /** Days between refits; 0 turns the refit off. */
  everyDays: number;
  /** Trailing window the refit trains on. */
  windowDays: number;
  /** Rows (evenly spaced over the window) each refit trains on. */
  maxRows: number;
}

export const DEFAULT_REFIT: Readonly<RefitOptions> = Object.freeze({ everyDays: 7, windowDays: 365, maxRows: 3000 });
export const NO_REFIT: Readonly<RefitOptions> = Object.freeze({ ...DEFAULT_REFIT, everyDays: 0 });

const DAY_MS = 86_400_000;

/** One refit's result: the new model, its fit time and the rows it trained on. */
export interface RefitFit {
  model: ValidatorModel;
  ms: number;
  rows: number;
}

/**
 * Runs a refit's fits (`refitModel`): in-process by default; a process that must stay responsive (the gateway)
 * passes a worker thread's (`RefitThread`).
 */
export type RefitRunner = (base: ValidatorModel, rows: Dataset, maxRows: number) => Promise<RefitFit>;

/** What the refits cost. */
export interface RefitCost {
  refits: number;
  totalMs: number;
  meanMs: number;
  rowsPerFit: number;
}

/** Decides when a refit is due and runs it on the validated history. */
export class RollingRefit {
  private next: number;
  private readonly times: number[] = [];
  private rows = 0;

  constructor(
    readonly options: RefitOptions,
    private readonly clock: LocalClock,
    start: number,
    private readonly runner: RefitRunner = refitModel,
  ) {
    if (!(options.everyDays >= 0 && options.windowDays > 0 && options.maxRows >= 10)) {
      throw new Error(`refit: invalid options ${JSON.stringify(options)}`);
    }
    this.next = options.everyDays > 0 ? start + options.everyDays * DAY_MS : Infinity;
  }

  /** True when a refit is due before checking a reading at `t`. */
  due(t: number): boolean {
    return t >= this.next;
  }

  /** Refits `base` on the history's trailing window before `t` and schedules the next refit (NaN temperatures fall back to the last one observed). */
  async refit(base: ValidatorModel, history: LoadHistory, t: number): Promise<ValidatorModel> {
    while (this.next <= t) this.next += this.options.everyDays * DAY_MS;
    const from = t - this.options.windowDays * DAY_MS;
    const window = history.slice(from, t - 1);
    const series: LoadSeries = {
      file: "validated history",
      timestamps: window.timestamps,
      load: window.load,
      temperature: window.temperature,
      stepMs: 0,
      lines: [],
      skipped: [],
      gaps: [],
    };
    const rows = buildDataset(series, history, this.clock, from, t - 1);
    const r = await this.runner(base, rows, this.options.maxRows);
    this.times.push(r.ms);
    this.rows = r.rows;
    return r.model;
  }

  /** The schedule and cost so far, for a snapshot of a validate stage. */
  exportState(): { next: number; times: number[]; rows: number } {
    return { next: this.next, times: [...this.times], rows: this.rows };
  }

  /** Restores `exportState`'s schedule and cost. */
  importState(state: { next: number; times: number[]; rows: number }): void {
    this.next = state.next;
    this.times.splice(0, this.times.length, ...state.times);
    this.rows = state.rows;
  }

  cost(): RefitCost {
    const totalMs = this.times.reduce((a, b) => a + b, 0);
    return {
      refits: this.times.length,
      totalMs,
      meanMs: this.times.length ? totalMs / this.times.length : 0,
      rowsPerFit: this.rows,
    };
  }
}
