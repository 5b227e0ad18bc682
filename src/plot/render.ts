import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** A Vega-Lite or raw Vega specification (JSON). */
export type ChartSpec = Record<string, unknown>;

/**
 * Renders a Vega-Lite spec (or a raw Vega spec when `$schema` names vega, not vega-lite) to an SVG
 * string in Node, with no browser. vega/vega-lite are ESM-only, hence the dynamic imports.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const vega = await import("vega");
  const schema = typeof spec.$schema === "string" ? spec.$schema : "";
  let vegaSpec = spec;
  if (!schema.includes("/vega/")) {
    const vl = await import("vega-lite");
    vegaSpec = vl.compile(spec as never).spec as unknown as ChartSpec;
  }
  const view = new vega.View(vega.parse(vegaSpec as never), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Renders and writes an SVG file, creating its folder. Returns the path. */
export async function writeSvg(path: string, spec: ChartSpec): Promise<string> {
  const svg = await renderSvg(spec);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  return path;
}
