import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import { COMMON_DEFAULTS, parseValidateArgs, type ValidateTaskOptions } from "../../src/validation/options";
import { addCommonParams } from "./params";
import { load } from "../common/lazy";

/** Trains (or loads) the validator, scores it on the test range and writes the JSON report. */
export async function runValidate(opts: ValidateTaskOptions) {
  const { runValidation } = load.validation.run();
  const { toModelOptions, toValidatorOptions, toRefitOptions, formatValidationSummary } = load.validation.cli();
  const report = await runValidation({
    ...toModelOptions(opts, (m) => console.error(m)),
    testFrom: opts.testFrom,
    testTo: opts.testTo,
    inject: opts.inject,
    validator: toValidatorOptions(opts),
    refit: toRefitOptions(opts),
  });
  const json = JSON.stringify(report, null, 2);
  if (opts.out) {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, json + "\n");
    console.log(formatValidationSummary(report));
    console.log(`report: ${opts.out}`);
  } else {
    console.log(json);
  }
  return report;
}

gridTask(
  "validate",
  "Train the reading validator (factor screen, SVR, ELM), score it on a test range with a rolling refit, detect (injected) anomalies",
  (t) =>
    addCommonParams(t)
      .addParam("testFrom", "first test day (YYYY-MM-DD local, or ISO)")
      .addParam("testTo", "last test day (inclusive)")
      .addOptionalParam(
        "refitDays",
        "days between rolling refits on the test range; 0 trains once (default 7)",
        undefined,
        types.float,
      )
      .addOptionalParam("refitWindow", "trailing days each refit trains on (default 365)", undefined, types.float)
      .addOptionalParam("out", "JSON report path (default: print the JSON)", undefined, types.string)
      .setAction(async (args: Record<string, unknown>) => {
        await runValidate(parseValidateArgs({ ...COMMON_DEFAULTS, ...args }));
      }),
);
