import { types } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { COMMON_DEFAULTS } from "../../src/validation/options";
import {
  DEFAULT_CUSUM_H,
  DEFAULT_CUSUM_K,
  DEFAULT_INNOVATION_SCALE_MAX,
  DEFAULT_LEVEL_K,
} from "../../src/validation/validator";

/** Parameters shared by grid:validate and grid:forecast. */
export function addCommonParams(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return t
    .addOptionalParam("data", "load CSV: timestamp,load_mw[,temperature_c]", COMMON_DEFAULTS.data, types.string)
    .addParam("trainFrom", "first training day (YYYY-MM-DD local, or ISO)")
    .addParam("trainTo", "last training day (inclusive)")
    .addOptionalParam("valFrom", "first validation day (default: the last 20% of the training range)")
    .addOptionalParam("valTo", "last validation day (inclusive)")
    .addOptionalParam(
      "calFrom",
      "first day of the calibration slice (sd_res, spreads), held out from fitting and tuning (default: the last 25% of the training range)",
    )
    .addOptionalParam("calTo", "last calibration day (inclusive)")
    .addOptionalParam("zone", "clock of the calendar features: us-eastern | brussels | utc", COMMON_DEFAULTS.zone)
    .addOptionalParam("preset", "full (grid search) | fast (fixed parameters, seconds)", COMMON_DEFAULTS.preset)
    .addOptionalParam("model", "load this saved model (JSON) instead of training")
    .addOptionalParam("saveModel", "save the trained model (JSON) here")
    .addOptionalParam("hMin", "keep factors whose screen score (|h|) is >= hMin (default 0.2)", undefined, types.float)
    .addOptionalParam(
      "screen",
      "factor screen: nonlinear (calendar always, degree-day terms for temperature) | pearson (P003)",
      undefined,
      types.string,
    )
    .addOptionalParam(
      "k",
      "one-step check: flag when the innovation exceeds k sigma (default 6)",
      undefined,
      types.float,
    )
    .addOptionalParam(
      "threshold",
      "absolute residual threshold in MW instead of k * sd_res (P000: 8.28)",
      undefined,
      types.float,
    )
    .addOptionalParam(
      "levelK",
      `level check: flag when |actual - forecast| exceeds levelK running spreads (default ${DEFAULT_LEVEL_K})`,
      undefined,
      types.float,
    )
    .addOptionalParam(
      "cusumH",
      `CUSUM alarm threshold in hourly sigma (default ${DEFAULT_CUSUM_H}; lower: earlier drifts, more false alarms)`,
      undefined,
      types.float,
    )
    .addOptionalParam("cusumK", `CUSUM allowance in hourly sigma (default ${DEFAULT_CUSUM_K})`, undefined, types.float)
    .addOptionalParam(
      "innovationScaleMax",
      `widest the one-step band grows with the stream's own one-hour errors, x sigma (default ${DEFAULT_INNOVATION_SCALE_MAX}; 1: off)`,
      undefined,
      types.float,
    )
    .addFlag(
      "plainRule",
      "only the literal rule |actual - SVR forecast| > k * sd_res (no one-step, drift, stuck checks)",
    )
    .addOptionalParam("searchBudget", "seconds the SVR grid search may take (default 240)", undefined, types.float)
    .addFlag("skipMalformed", "skip malformed CSV rows (counted and listed) instead of failing")
    .addOptionalParam("inject", "seed: inject labelled anomalies into the test range", undefined, types.int);
}
