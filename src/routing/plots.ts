import { ChartSpec } from "../plot/render";

/** Vega-Lite chart specs for the routing experiment (pure data in, spec out; rendering is the caller's). */

const VL_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One fixed colour per algorithm across every figure. */
const ALGORITHM_COLORS: Record<string, string> = {
  "QT-DR": "#1f77b4",
  "QT-DR+LS": "#17becf",
  "QoS-R": "#ff7f0e",
  "RA-DBMM": "#d62728",
  SP: "#7f7f7f",
};

function algorithmScale(algorithms: readonly string[]): Record<string, unknown> {
  return { domain: algorithms, range: algorithms.map((a) => ALGORITHM_COLORS[a] ?? "#9467bd") };
}

const BASE_CONFIG = {
  font: "DejaVu Sans",
  axis: { labelFontSize: 12, titleFontSize: 13 },
  legend: { labelFontSize: 12, titleFontSize: 13 },
  title: { fontSize: 15 },
  header: { labelFontSize: 13, titleFontSize: 13 },
};

export interface CaseAlgorithmRow {
  case: string;
  algorithm: string;
  value: number;
}

/** Grouped bars: one group per case, one bar per algorithm (P003 Figs. 9 and 11). */
export function groupedBarSpec(
  rows: readonly CaseAlgorithmRow[],
  algorithms: readonly string[],
  title: string,
  yTitle: string,
): ChartSpec {
  const cases = [...new Set(rows.map((r) => r.case))];
  return {
    $schema: VL_SCHEMA,
    title,
    width: Math.max(360, cases.length * algorithms.length * 22),
    height: 320,
    background: "white",
    data: {
      values: rows.map((r) => ({
        ...r,
        label: Number.isFinite(r.value) ? r.value.toFixed(r.value < 100 ? 1 : 0) : "∞",
      })),
    },
    encoding: {
      x: { field: "case", type: "nominal", sort: cases, title: "case", axis: { labelAngle: 0 } },
      xOffset: { field: "algorithm", type: "nominal", sort: algorithms },
      color: {
        field: "algorithm",
        type: "nominal",
        sort: algorithms,
        scale: algorithmScale(algorithms),
        title: "algorithm",
      },
    },
    layer: [
      { mark: "bar", encoding: { y: { field: "value", type: "quantitative", title: yTitle } } },
      {
        mark: { type: "text", dy: -6, fontSize: 9, angle: 0 },
        encoding: { y: { field: "value", type: "quantitative" }, text: { field: "label" } },
      },
    ],
    config: BASE_CONFIG,
  };
}

/** Two grouped-bar panels side by side (LB_net and LB_used, P003 Table 3 / P000). */
export function twoPanelSpec(left: ChartSpec, right: ChartSpec, title: string): ChartSpec {
  const strip = (s: ChartSpec): ChartSpec => {
    const { $schema: _s, config: _c, background: _b, ...rest } = s;
    return rest;
  };
  return {
    $schema: VL_SCHEMA,
    title: { text: title, offset: 16 },
    background: "white",
    hconcat: [strip(left), strip(right)],
    resolve: { scale: { y: "independent" } },
    config: BASE_CONFIG,
  };
}

export interface LinkUtilRow {
  /** Link position in the case's link list (1-based). */
  link: number;
  /** "from-to" bus label. */
  label: string;
  algorithm: string;
  util: number;
}

/** Utilisation of every link, one row of bars per algorithm (P003 Figs. 10 and 12). */
export function linkUtilSpec(caseName: string, rows: readonly LinkUtilRow[], algorithms: readonly string[]): ChartSpec {
  const links = new Set(rows.map((r) => r.link)).size;
  const labelled = links <= 60;
  return {
    $schema: VL_SCHEMA,
    title: `Link utilisation per link, ${caseName} (background + routed load) / bandwidth`,
    background: "white",
    data: { values: rows },
    facet: {
      row: {
        field: "algorithm",
        type: "nominal",
        sort: algorithms,
        title: null,
        header: { labelAngle: 0, labelAlign: "left" },
      },
    },
    spec: {
      width: Math.max(600, Math.min(1100, links * (labelled ? 16 : 6))),
      height: 110,
      mark: { type: "bar" },
      encoding: labelled
        ? {
            x: {
              field: "label",
              type: "ordinal",
              sort: { field: "link" },
              title: "link (bus-bus)",
              axis: { labelAngle: -90, labelFontSize: 9 },
            },
            y: { field: "util", type: "quantitative", title: "utilisation" },
            color: { field: "algorithm", type: "nominal", scale: algorithmScale(algorithms), legend: null },
          }
        : {
            x: { field: "link", type: "quantitative", title: "link index", scale: { domain: [0, links + 1] } },
            y: { field: "util", type: "quantitative", title: "utilisation" },
            color: { field: "algorithm", type: "nominal", scale: algorithmScale(algorithms), legend: null },
          },
    },
    resolve: { axis: { x: "independent" } },
    config: BASE_CONFIG,
  };
}

/** Link utilisations sorted high to low, one line per algorithm: the flatter, the better balanced. */
export function sortedUtilSpec(
  caseName: string,
  rows: readonly LinkUtilRow[],
  algorithms: readonly string[],
): ChartSpec {
  const ranked: { rank: number; algorithm: string; util: number }[] = [];
  for (const a of algorithms) {
    rows
      .filter((r) => r.algorithm === a)
      .map((r) => r.util)
      .sort((x, y) => y - x)
      .forEach((util, i) => ranked.push({ rank: i + 1, algorithm: a, util }));
  }
  return {
    $schema: VL_SCHEMA,
    title: `Link utilisation, sorted, ${caseName}`,
    width: 560,
    height: 300,
    background: "white",
    data: { values: ranked },
    mark: { type: "line", point: { size: 14 }, strokeWidth: 2 },
    encoding: {
      x: { field: "rank", type: "quantitative", title: "links, most used first" },
      y: { field: "util", type: "quantitative", title: "utilisation" },
      color: {
        field: "algorithm",
        type: "nominal",
        sort: algorithms,
        scale: algorithmScale(algorithms),
        title: "algorithm",
      },
    },
    config: BASE_CONFIG,
  };
}

export interface DrawnNode {
  bus: number;
  x: number;
  y: number;
  role: "generator" | "source" | "terminal";
}

export interface DrawnEdge {
  x: number;
  y: number;
  x2: number;
  y2: number;
  /** Whether a route of the drawn algorithm uses the link. */
  routed: boolean;
  util: number;
}

/** The P2P network with the generator, the sources and one algorithm's routes highlighted (P003 Fig. 8). */
export function networkSpec(title: string, nodes: readonly DrawnNode[], edges: readonly DrawnEdge[]): ChartSpec {
  const size = nodes.length <= 60 ? 760 : 1000;
  const axisOff = { axis: null, scale: { zero: false, nice: false } };
  const roleOrder = ["generator", "source", "terminal"];
  const edgeRows = edges.map((e) => ({ ...e, kind: e.routed ? "routed link" : "unused link" }));
  return {
    $schema: VL_SCHEMA,
    title,
    width: size,
    height: size,
    background: "white",
    layer: [
      {
        data: { values: edgeRows },
        mark: { type: "rule" },
        encoding: {
          x: { field: "x", type: "quantitative", ...axisOff },
          y: { field: "y", type: "quantitative", ...axisOff },
          x2: { field: "x2" },
          y2: { field: "y2" },
          color: {
            field: "kind",
            type: "nominal",
            scale: { domain: ["routed link", "unused link"], range: ["#1f77b4", "#c8c8c8"] },
            title: "link",
          },
          strokeWidth: {
            field: "util",
            type: "quantitative",
            scale: { range: [1.5, 9] },
            title: "utilisation",
          },
        },
      },
      {
        data: { values: nodes },
        mark: { type: "circle", opacity: 1, stroke: "white", strokeWidth: 1 },
        encoding: {
          x: { field: "x", type: "quantitative", ...axisOff },
          y: { field: "y", type: "quantitative", ...axisOff },
          color: {
            field: "role",
            type: "nominal",
            scale: { domain: roleOrder, range: ["#d62728", "#2ca02c", "#555555"] },
            title: "terminal",
          },
          size: {
            field: "role",
            type: "ordinal",
            sort: roleOrder,
            scale: { domain: roleOrder, range: [520, 260, 90] },
            title: "terminal",
          },
        },
      },
      {
        data: { values: nodes },
        mark: { type: "text", dy: -11, fontSize: nodes.length <= 60 ? 11 : 8 },
        encoding: {
          x: { field: "x", type: "quantitative", ...axisOff },
          y: { field: "y", type: "quantitative", ...axisOff },
          text: { field: "bus" },
        },
      },
    ],
    resolve: { scale: { color: "independent", size: "independent" }, legend: { color: "independent" } },
    config: { ...BASE_CONFIG, view: { stroke: null } },
  };
}

/** One point of a frontier plot. */
export interface FrontierPlotPoint {
  label: string;
  kind: "optimiser" | "algorithm";
  blockTimeMs: number;
  lbNet: number;
  onFrontier: boolean;
}

/** The optimiser's sweep points: a lighter tone of QT-DR+LS's colour, so the two stay apart in the legend. */
const SWEEP_COLOR = "#9edae5";
const SWEEP = "QT-DR+LS sweep";

/**
 * Block time against LB_net: the optimiser's Pareto frontier as a step line, every routing as a point (filled
 * on the frontier, hollow off it), and the proven lower bound on LB_net of any routing as a rule when known.
 */
export function frontierSpec(caseName: string, points: readonly FrontierPlotPoint[], lbNetBound?: number): ChartSpec {
  const values = points
    .filter((p) => Number.isFinite(p.blockTimeMs))
    .map((p) => ({
      ...p,
      series: p.kind === "optimiser" ? SWEEP : p.label,
    }));
  const series = [...new Set(values.map((v) => v.series))];
  const x = { field: "blockTimeMs", type: "quantitative", title: "block time (ms)", scale: { zero: false } };
  const y = { field: "lbNet", type: "quantitative", title: "LB_net (Mbit/s)", scale: { zero: false } };
  const bound =
    lbNetBound === undefined
      ? []
      : [
          {
            data: { values: [{ lbNet: lbNetBound, text: `proven lower bound ${lbNetBound.toFixed(2)}` }] },
            layer: [
              { mark: { type: "rule", color: "#2ca02c", strokeDash: [6, 2] }, encoding: { y } },
              {
                mark: { type: "text", align: "left", baseline: "bottom", dx: 4, dy: -3, color: "#2ca02c", x: 0 },
                encoding: { y, text: { field: "text" } },
              },
            ],
          },
        ];
  const color = {
    field: "series",
    type: "nominal",
    sort: series,
    scale: {
      domain: series,
      range: series.map((s) => (s === SWEEP ? SWEEP_COLOR : (ALGORITHM_COLORS[s] ?? "#9467bd"))),
    },
    title: "routing",
  };
  const pointLayer = (onFrontier: boolean) => ({
    transform: [{ filter: onFrontier ? "datum.onFrontier" : "!datum.onFrontier" }],
    mark: { type: "point", size: 90, strokeWidth: 2, filled: onFrontier, shape: onFrontier ? "square" : "circle" },
    encoding: { x, y, color, tooltip: [{ field: "label" }, { field: "blockTimeMs" }, { field: "lbNet" }] },
  });
  // The algorithms often land on the same routing (QT-DR, QoS-R and RA-DBMM on IEEE 14): one label per spot
  // names them all, so no point hides another.
  const spots = new Map<string, { blockTimeMs: number; lbNet: number; names: string[] }>();
  for (const v of values.filter((p) => p.kind === "algorithm")) {
    const key = `${v.blockTimeMs.toFixed(1)}/${v.lbNet.toFixed(2)}`;
    const spot = spots.get(key) ?? { blockTimeMs: v.blockTimeMs, lbNet: v.lbNet, names: [] };
    spot.names.push(v.label);
    spots.set(key, spot);
  }
  const labels = {
    data: { values: [...spots.values()].map((s) => ({ ...s, text: s.names.join(" = ") })) },
    mark: { type: "text", align: "left", baseline: "bottom", dx: 7, dy: -5, fontSize: 10, color: "#333" },
    encoding: { x, y, text: { field: "text" } },
  };
  return {
    $schema: VL_SCHEMA,
    title: {
      text: `${caseName}: block time vs LB_net`,
      subtitle: "line and filled squares: Pareto frontier; hollow: dominated or missing deadlines",
    },
    width: 520,
    height: 340,
    background: "white",
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.onFrontier" }],
        mark: { type: "line", interpolate: "step-after", color: "#555", strokeDash: [4, 3] },
        encoding: { x, y },
      },
      pointLayer(false),
      pointLayer(true),
      labels,
      ...bound,
    ],
    config: BASE_CONFIG,
  };
}
