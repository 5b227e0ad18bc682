import type { LocalClock } from "./clock";
import { factorRow, N_FACTORS, type MissingFeature } from "./features";
import type { LoadHistory } from "./history";
import { Forecaster, type ForecasterName, type ValidatorModel } from "./model";

/** A model forecast of one instant and the one-step variance of its local hour. */
export interface Forecast {
  f: number;
  missing: MissingFeature | null;
  hourVar: number;
}

/** Instants kept in the forecast cache: a 15-minute period at 1 Hz is 900. */
const FORECAST_CACHE_SIZE = 4096;

/**
 * The model forecasts of a streaming validator, by instant. A forecast depends only on the model, the history and
 * the instant (and the temperature used), never on a source's state, so validators that check the same readings
 * with the same model and history (a validate stage's main validator and its shadow without the peer check) share
 * one `InstantForecasts`: each instant's SVR evaluation is done once for both (`StreamingValidator.twin`).
 */
export class InstantForecasts {
  forecaster: Forecaster;
  /** Which factors the forecaster reads (the others are not looked up in the history). */
  readonly needed: readonly boolean[];
  private readonly row = new Float64Array(N_FACTORS);
  /** Forecasts by instant (readings without their own temperature): many sources share each instant. */
  private readonly cache = new Map<number, Forecast>();
  /** Grid instants as the far end of an interpolation, forecast with the temperature known at the near end. */
  private readonly rightCache = new Map<number, Forecast>();
  private memoT = NaN;
  private memoTemp = NaN;
  private memo: Forecast = { f: NaN, missing: null, hourVar: NaN };
  private exactT = NaN;
  private exactTemp = NaN;
  private exactMemo: Forecast = this.memo;
  /** The model last swapped in (`replace`): each of the validators sharing this swaps the same one in. */
  private current: ValidatorModel;

  /**
   * @param temperatureFactor index of the temperature factor in `needed` (forecasts between grid instants take
   *   the temperature known at the near end).
   * @param hourVar per local hour, the one-step variance the validator calibrated.
   */
  constructor(
    model: ValidatorModel,
    private readonly history: LoadHistory,
    private readonly clock: LocalClock,
    private readonly which: ForecasterName,
    private readonly temperatureFactor: number,
    private readonly stepMs: number,
    private readonly hourVar: Float64Array,
  ) {
    this.forecaster = new Forecaster(model);
    this.needed = this.forecaster.needed(which);
    this.current = model;
  }

  /** Swaps in a refitted model (keeping `residuals`); a second call with the same model changes nothing. */
  replace(model: ValidatorModel, residuals: ValidatorModel["residuals"]): void {
    if (model === this.current) return;
    this.current = model;
    this.forecaster = new Forecaster({ ...model, residuals });
    this.clear();
  }

  /** Drops every cached forecast (the history they read changed, or the model). */
  clear(): void {
    this.cache.clear();
    this.rightCache.clear();
    this.memoT = NaN;
    this.exactT = NaN;
  }

  /**
   * The model forecast and one-step variance for an instant. Readings of many sources share instants (every
   * terminal samples on the same clock, one package after another): each is forecast once. Between grid instants
   * (`stepMs`) the forecast is interpolated; a reading with its own temperature is forecast exactly.
   */
  at(t: number, temp: number): Forecast {
    if (t === this.memoT && Object.is(temp, this.memoTemp)) return this.memo;
    const entry = Number.isNaN(temp)
      ? (this.cache.get(t) ?? this.remember(t, this.gridForecast(t)))
      : this.exact(t, temp);
    this.memoT = t;
    this.memoTemp = temp;
    this.memo = entry;
    return entry;
  }

  /**
   * The exact forecast of an instant with a given temperature; the last one asked for is kept (every source of
   * an instant rebases its reference on the same time and temperature).
   */
  exact(t: number, temp: number): Forecast {
    if (t === this.exactT && Object.is(temp, this.exactTemp)) return this.exactMemo;
    this.exactMemo = this.compute(t, temp);
    this.exactT = t;
    this.exactTemp = temp;
    return this.exactMemo;
  }

  /** Between two exact grid forecasts, the line between them; exact on the grid or when either end is missing. */
  private gridForecast(t: number): Forecast {
    const step = this.stepMs;
    const t0 = step > 0 ? Math.floor(t / step) * step : t;
    if (t0 === t) return this.compute(t, NaN);
    const a = this.cachedExact(t0);
    // The far end of the line uses the temperature known at t0 (= at t), not the one observed at t0 + step:
    // anything else would look ahead across an hourly temperature sample.
    const b = this.rightEnd(t0 + step, t0);
    if (a.missing || b.missing) return this.compute(t, NaN);
    const w = (t - t0) / step;
    return { f: a.f + w * (b.f - a.f), missing: null, hourVar: a.hourVar + w * (b.hourVar - a.hourVar) };
  }

  private cachedExact(t: number): Forecast {
    return this.cache.get(t) ?? this.remember(t, this.compute(t, NaN));
  }

  private rightEnd(t: number, known: number): Forecast {
    if (!this.needed[this.temperatureFactor]) return this.cachedExact(t);
    let entry = this.rightCache.get(t);
    if (!entry) {
      if (this.rightCache.size >= FORECAST_CACHE_SIZE) this.rightCache.clear();
      entry = this.compute(t, this.history.temperatureKnownAt(known));
      this.rightCache.set(t, entry);
    }
    return entry;
  }

  private remember(t: number, entry: Forecast): Forecast {
    if (this.cache.size >= FORECAST_CACHE_SIZE) this.cache.clear();
    this.cache.set(t, entry);
    return entry;
  }

  /** One model evaluation (the SVR's kernel sum: the expensive part of a check). */
  private compute(t: number, temp: number): Forecast {
    const missing = factorRow(t, temp, this.history, this.clock, this.row, this.needed);
    return {
      f: missing ? NaN : this.forecaster.forecast(this.row, 0, this.which),
      missing,
      hourVar: missing ? NaN : this.varianceAt(this.row[0], this.row[1]),
    };
  }

  /** The one-step variance of the local hour (from the hour sin/cos factors), interpolated between whole hours. */
  private varianceAt(hourSin: number, hourCos: number): number {
    const hour = ((Math.atan2(hourSin, hourCos) / (2 * Math.PI)) * 24 + 24) % 24;
    const h0 = Math.floor(hour);
    const w = hour - h0;
    return (1 - w) * this.hourVar[h0 % 24] + w * this.hourVar[(h0 + 1) % 24];
  }
}
