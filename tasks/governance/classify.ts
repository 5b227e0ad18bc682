import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import { CLASSIFY_DEFAULTS, ClassifyOptions, parseClassifyOptions } from "../../src/governance/options";
import { load } from "../common/lazy";

type ClassifyArgs = Partial<Record<keyof ClassifyOptions, unknown>>;

gridTask(
  "classify",
  "Gaussian naive Bayes on daily profiles: weekday / weekend / holiday, vs a majority baseline",
  (t) =>
    t
      .addParam("data", "CSV of 15-minute price (price_eur_mwh) or hourly load (load_mw) with a timestamp column")
      .addOptionalParam("seed", "seed of the stratified split", CLASSIFY_DEFAULTS.seed, types.int)
      .addOptionalParam(
        "testFraction",
        "share of each class held out for testing",
        CLASSIFY_DEFAULTS.testFraction,
        types.float,
      )
      .addOptionalParam("features", "points | hourly | blocks | blocks+level", CLASSIFY_DEFAULTS.features, types.string)
      .addOptionalParam("days", "local (the series' zone) | utc", CLASSIFY_DEFAULTS.days, types.string)
      .addOptionalParam(
        "varSmoothing",
        "variance smoothing (x largest feature variance)",
        CLASSIFY_DEFAULTS.varSmoothing,
        types.float,
      )
      .addOptionalParam("out", "output folder for the JSON report", CLASSIFY_DEFAULTS.out, types.string)
      .setAction(async (args: ClassifyArgs) => {
        const { runClassify } = load.governance.run();
        const { formatClassifyReport } = load.governance.format();
        console.log(formatClassifyReport(runClassify(parseClassifyOptions(args))));
      }),
);
