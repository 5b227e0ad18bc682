import { ChartSpec } from "../plot/render";
import { POINTS_PER_DAY } from "./profiles";

export interface ClusterChartInput {
  title: string;
  /** Unit of the clustering space, e.g. "z-score (per day)" or "MW". */
  centreUnit: string;
  /** Unit of the raw series, e.g. "EUR/MWh". */
  valueUnit: string;
  /** Clock the hours are read in, e.g. "Europe/Brussels local time". */
  clock: string;
  /** One entry per cluster (numbered from 1), in cluster order. */
  clusters: { name: string; centre: number[]; meanProfile: number[] }[];
  /** "centroid" or "medoid", for the panel title. */
  centreKind: string;
  sweep: { k: number; silhouette: number }[];
  chosenK: number;
}

const WIDTH = 330;
const HEIGHT = 240;

/**
 * Three panels: cluster centres in the clustering space, the clusters' mean daily profiles in the
 * series' unit (z-scoring hides the level, this shows it), and the silhouette for every k tried.
 */
export function clusterChartSpec(input: ClusterChartInput): ChartSpec {
  const series = (key: "centre" | "meanProfile") =>
    input.clusters.flatMap((c) =>
      c[key].map((value, i) => ({ cluster: c.name, hour: (i * 24) / POINTS_PER_DAY, value })),
    );
  const hourAxis = {
    field: "hour",
    type: "quantitative",
    title: `hour of day (${input.clock})`,
    scale: { domain: [0, 24], nice: false },
    axis: { values: [0, 3, 6, 9, 12, 15, 18, 21, 24] },
  };
  const colour = {
    field: "cluster",
    type: "nominal",
    sort: input.clusters.map((c) => c.name),
    legend: { title: null, orient: "bottom", direction: "vertical", labelLimit: 0 },
  };
  const linePanel = (title: string, key: "centre" | "meanProfile", yTitle: string) => ({
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: series(key) },
    mark: { type: "line", strokeWidth: 2, interpolate: "step-after" },
    encoding: {
      x: hourAxis,
      y: { field: "value", type: "quantitative", title: yTitle, scale: { zero: false } },
      color: colour,
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: input.title, anchor: "start", fontSize: 14 },
    config: { font: "DejaVu Sans", view: { stroke: "#ccc" }, axis: { labelFontSize: 11, titleFontSize: 12 } },
    background: "white",
    padding: 10,
    resolve: { scale: { color: "shared" } },
    hconcat: [
      linePanel(`Cluster ${input.centreKind}s (k = ${input.chosenK})`, "centre", input.centreUnit),
      linePanel("Mean daily profile per cluster", "meanProfile", input.valueUnit),
      {
        title: "Mean silhouette by k",
        width: 200,
        height: HEIGHT,
        data: { values: input.sweep },
        encoding: {
          x: { field: "k", type: "ordinal", title: "k", axis: { labelAngle: 0 } },
          y: { field: "silhouette", type: "quantitative", title: "mean silhouette" },
        },
        layer: [
          { mark: { type: "line", color: "#888" } },
          { mark: { type: "point", filled: true, size: 60, color: "#888" } },
          {
            transform: [{ filter: `datum.k == ${input.chosenK}` }],
            mark: { type: "point", filled: true, size: 140, color: "#d62728" },
          },
          {
            mark: { type: "text", dy: -12, fontSize: 10, color: "#333" },
            encoding: { text: { field: "silhouette", type: "quantitative", format: ".2f" } },
          },
        ],
      },
    ],
  };
}
