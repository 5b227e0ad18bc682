import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import {
  COMMON_DEFAULTS,
  DEFAULT_FORECAST_OUT,
  parseForecastArgs,
  type ForecastTaskOptions,
} from "../../src/validation/options";
import { addCommonParams } from "./params";
import { load } from "../common/lazy";

/** Draws actual vs SVR vs ELM over one week with the quarantined readings marked (P000 Fig. 3). */
export async function runForecast(opts: ForecastTaskOptions) {
  const { runForecastPlot } = load.validation.plot();
  const { toModelOptions, toValidatorOptions } = load.validation.cli();
  const { path, week } = await runForecastPlot({
    ...toModelOptions(opts, (m) => console.error(m)),
    week: opts.week,
    inject: opts.inject,
    validator: toValidatorOptions(opts),
    out: opts.out,
  });
  const flagged = week.points.filter((p) => p.flag).length;
  console.log(
    `week of ${opts.week}: SVR MAPE ${week.svrMape.toFixed(2)}%, ELM MAPE ${week.elmMape.toFixed(2)}%, ` +
      `${flagged} reading(s) quarantined. SVG: ${path}`,
  );
  return { path, week };
}

gridTask("forecast", "Plot actual load vs SVR vs ELM forecasts over one week, quarantined readings marked", (t) =>
  addCommonParams(t)
    .addParam("week", "first local day of the week to plot (YYYY-MM-DD)")
    .addOptionalParam("out", "SVG path", DEFAULT_FORECAST_OUT, types.string)
    .setAction(async (args: Record<string, unknown>) => {
      await runForecast(parseForecastArgs({ ...COMMON_DEFAULTS, ...args }));
    }),
);
