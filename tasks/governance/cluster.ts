import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import { CLUSTER_DEFAULTS, ClusterOptions, parseClusterOptions } from "../../src/governance/options";
import { load } from "../common/lazy";

type ClusterArgs = Partial<Record<keyof ClusterOptions, unknown>>;

gridTask(
  "cluster",
  "Cluster 96-point daily profiles (k-means or PAM k-medoids), report silhouettes, write JSON + SVG",
  (t) =>
    t
      .addParam("data", "CSV of 15-minute price (price_eur_mwh) or hourly load (load_mw) with a timestamp column")
      .addOptionalParam("k", "k range (2..8), one k (4) or a list (2,4,6)", CLUSTER_DEFAULTS.k, types.string)
      .addOptionalParam("method", "kmeans | kmedoids", CLUSTER_DEFAULTS.method, types.string)
      .addOptionalParam("out", "output folder", CLUSTER_DEFAULTS.out, types.string)
      .addOptionalParam("seed", "seed of the k-means restarts", CLUSTER_DEFAULTS.seed, types.int)
      .addOptionalParam(
        "normalise",
        "zscore (shape, per day) | none (raw values)",
        CLUSTER_DEFAULTS.normalise,
        types.string,
      )
      .addOptionalParam("days", "local (the series' zone) | utc", CLUSTER_DEFAULTS.days, types.string)
      .setAction(async (args: ClusterArgs) => {
        const { runCluster } = load.governance.run();
        const { formatClusterReport } = load.governance.format();
        console.log(formatClusterReport(await runCluster(parseClusterOptions(args))));
      }),
);
