import { Forecaster } from "../../src/validation/model";

/**
 * Runs `run` counting the model evaluations (`Forecaster.forecast`, the SVR's kernel sum) made meanwhile, by any
 * validator: how tests see that a forecast is shared instead of computed again.
 */
export async function countingForecasts<T>(run: () => T | Promise<T>): Promise<{ result: T; evaluations: number }> {
  const forecast = Forecaster.prototype.forecast;
  let evaluations = 0;
  Forecaster.prototype.forecast = function (this: Forecaster, ...args: Parameters<Forecaster["forecast"]>) {
    evaluations++;
    return forecast.apply(this, args);
  };
  try {
    return { result: await run(), evaluations };
  } finally {
    Forecaster.prototype.forecast = forecast;
  }
}
