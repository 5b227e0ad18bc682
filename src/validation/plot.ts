import { writeSvg, type ChartSpec } from "../plot/render";
import { parseLocalDate, type LocalClock } from "./clock";
import { buildDataset } from "./dataset";
import { Forecaster } from "./model";
import { prepare, type ModelOptions } from "./run";
import { mape } from "./stats";
import { streamValidate } from "./stream";
import type { ValidatorOptions } from "./validator";

export interface ForecastPoint {
  t: number;
  actual: number;
  svr: number;
  elm: number;
  /** Reason of the quarantine, when the reading was flagged. */
  flag?: string;
}

export interface ForecastWeek {
  title: string;
  points: ForecastPoint[];
  svrMape: number;
  elmMape: number;
}

/**
 * Vega-Lite spec in the manner of P000 Fig. 3: actual load against the SVR and ELM forecasts over a
 * week, on the data's local clock, with the readings the validator quarantined marked by reason.
 */
export function forecastWeekSpec(week: ForecastWeek, clock: LocalClock): ChartSpec {
  const local = (t: number): number => t + clock.offsetMinutes(t) * 60_000;
  // A x10 unit error would flatten the week: draw readings above the cap at the top edge.
  const top = Math.max(...week.points.flatMap((p) => [p.svr, Number.isFinite(p.elm) ? p.elm : p.svr]));
  const cap = Math.ceil((1.5 * top) / 500) * 500;
  const clamp = (v: number): number => Math.min(v, cap);
  const capped = week.points.some((p) => p.actual > cap);
  const lines = week.points.flatMap((p) => [
    { t: local(p.t), series: "Actual", value: clamp(p.actual) },
    { t: local(p.t), series: "SVR", value: p.svr },
    ...(Number.isFinite(p.elm) ? [{ t: local(p.t), series: "ELM", value: p.elm }] : []),
  ]);
  const flags = week.points
    .filter((p) => p.flag)
    .map((p) => ({ t: local(p.t), value: clamp(p.actual), reason: p.flag }));
  const x = {
    field: "t",
    type: "temporal",
    title: `local time (${clock.name})`,
    // Times are shifted to the local clock, so read them as UTC to avoid a second shift.
    timeUnit: "utcyearmonthdatehoursminutes",
    axis: { format: "%a %d %b", tickCount: 7, labelAngle: 0, grid: true },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: week.title,
      subtitle:
        `MAPE over the week: SVR ${week.svrMape.toFixed(2)}%, ELM ${week.elmMape.toFixed(2)}%; ` +
        `${flags.length} reading(s) quarantined` +
        (capped ? `; readings above ${cap} MW drawn at the top edge` : ""),
    },
    width: 900,
    height: 360,
    layer: [
      {
        data: { values: lines },
        mark: { type: "line", strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", title: "load (MW)", scale: { domain: [0, cap] } },
          color: {
            field: "series",
            type: "nominal",
            title: null,
            scale: { domain: ["Actual", "SVR", "ELM"], range: ["#222222", "#1f77b4", "#ff7f0e"] },
          },
        },
      },
      {
        data: { values: flags },
        mark: { type: "point", filled: false, size: 90, strokeWidth: 2, color: "#d62728" },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", scale: { domain: [0, cap] } },
          shape: { field: "reason", type: "nominal", title: "quarantined", legend: { labelLimit: 320 } },
        },
      },
    ],
    config: { font: "DejaVu Sans" },
  };
}

export interface ForecastPlotOptions extends ModelOptions {
  /** First local day of the week to draw (YYYY-MM-DD or ISO). */
  week: string;
  /** Seed for anomalies injected into that week (none when undefined). */
  inject?: number;
  validator?: ValidatorOptions;
  out: string;
}

/** Trains or loads the validator, forecasts and validates one week, and writes the SVG. */
export async function runForecastPlot(opts: ForecastPlotOptions): Promise<{ path: string; week: ForecastWeek }> {
  const p = await prepare(opts);
  const from = parseLocalDate(opts.week, p.clock);
  const to = from + 7 * 86_400_000 - 1;
  const data = buildDataset(p.series, p.history, p.clock, from, to);
  if (data.n === 0) throw new Error(`no rows with lag history in the week from ${opts.week}`);
  const fc = new Forecaster(p.model);
  const svr = fc.forecastRows(data.x, data.n, "svr");
  const elm = fc.forecastRows(data.x, data.n, "elm");
  const stream = await streamValidate(p.model, p.series, from, to, {
    injectSeed: opts.inject,
    // A week is short: one event of each kind, half a day apart.
    inject: { separationHours: 12 },
    validator: opts.validator,
  });
  const byTime = new Map(stream.timestamps.map((t, i) => [t, i]));
  const points: ForecastPoint[] = Array.from(data.timestamps, (t, i) => {
    const j = byTime.get(t);
    const r = j === undefined ? undefined : stream.results[j];
    return {
      t,
      actual: j === undefined ? data.y[i] : stream.actual[j],
      svr: svr[i],
      elm: elm[i],
      flag: r && !r.ok ? r.reason : undefined,
    };
  });
  const week: ForecastWeek = {
    title: `Load forecast, week of ${opts.week}${opts.inject === undefined ? "" : ` (anomalies injected, seed ${opts.inject})`}`,
    points,
    svrMape: mape(data.y, svr),
    elmMape: p.model.elm ? mape(data.y, elm) : NaN,
  };
  const path = await writeSvg(opts.out, forecastWeekSpec(week, p.clock));
  return { path, week };
}
