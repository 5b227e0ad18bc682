import { renderSvg, type ChartSpec } from "../plot/render";
import type { JournalBatch, JournalRecord } from "../pipeline/journal";
import type { RunOptions } from "../pipeline/options";
import type { ScenarioTerminal } from "../pipeline/scenario";
import type { PeriodRouting, RunSummary, ZonesSummary } from "../pipeline/summaryTypes";
import { DEFAULT_ALGORITHMS as ALGORITHM_NAMES } from "../routing/algorithms";
import { RULE_OF_REASON, type ReasonCode } from "../validation/validator";

export interface RunReportInput {
  summary: RunSummary;
  routing: PeriodRouting[];
  records: JournalRecord[];
  batches: JournalBatch[];
  terminals: readonly ScenarioTerminal[];
  options: RunOptions;
}

const VL = "https://vega.github.io/schema/vega-lite/v6.json";
const ALGORITHM_COLORS = { range: ["#1b7837", "#2166ac", "#b2182b", "#8c8c8c"], domain: [...ALGORITHM_NAMES] };
const WIDTH = 860;

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The reading terminals worth plotting: the source with most quarantined readings, and a meter with a fault. */
function pickTerminals(records: JournalRecord[], terminals: readonly ScenarioTerminal[]): ScenarioTerminal[] {
  const flagged = new Map<string, number>();
  for (const r of records)
    if (r.kind === 1 && r.status === "quarantined" && r.actualNorm !== null)
      flagged.set(r.terminalId, (flagged.get(r.terminalId) ?? 0) + 1);
  const score = (t: ScenarioTerminal) => flagged.get(t.terminalId) ?? 0;
  const bySore = (a: ScenarioTerminal, b: ScenarioTerminal) => score(b) - score(a) || b.nominalMw - a.nominalMw;
  const source = terminals.filter((t) => t.role === "node" && t.samplesPerPeriod > 0).sort(bySore)[0];
  const meter = terminals.filter((t) => t.role === "meter").sort(bySore)[0];
  return [source, meter].filter((t): t is ScenarioTerminal => t !== undefined);
}

function forecastChart(records: JournalRecord[], t: ScenarioTerminal): ChartSpec {
  const scale = (r: JournalRecord) => {
    const value = (JSON.parse(r.payload) as { value: number }).value;
    return r.actualNorm ? value / r.actualNorm : 1;
  };
  const mine = records.filter((r) => r.terminalId === t.terminalId && r.kind === 1 && r.actualNorm !== null);
  const k = mine.length ? scale(mine[0]) : 1;
  // Frame the normal range; a x10 unit error would otherwise flatten the day into one line. Outliers sit on the edge.
  const clean = mine
    .filter((r) => r.status !== "quarantined")
    .flatMap((r) => [r.actualNorm! * k, ...(r.forecastNorm === null ? [] : [r.forecastNorm * k])]);
  const lo = Math.min(...clean);
  const hi = Math.max(...clean);
  const pad = 0.25 * (hi - lo || hi || 1);
  const domain = [Math.max(0, lo - pad), hi + pad];
  const values = mine.map((r) => ({
    time: new Date(r.timestamp * 1000).toISOString(),
    actual: r.actualNorm! * k,
    forecast: r.forecastNorm === null ? null : r.forecastNorm * k,
    reason: r.status === "quarantined" && r.reason ? (RULE_OF_REASON[r.reason as ReasonCode] ?? r.reason) : null,
  }));
  return {
    $schema: VL,
    title: {
      text: `${t.label} (${t.kind}): reading (grey) vs SVR forecast (blue, dashed)`,
      subtitle: "quarantined readings marked by the rule that flagged them; readings outside the frame sit on its edge",
      anchor: "start",
    },
    width: WIDTH,
    height: 220,
    data: { values },
    encoding: { x: { field: "time", type: "temporal", title: "chain time (UTC)" } },
    layer: [
      {
        mark: { type: "line", color: "#9e9e9e", strokeWidth: 1.2, clip: true },
        encoding: { y: { field: "actual", type: "quantitative", title: "MW", scale: { domain, clamp: true } } },
      },
      {
        mark: { type: "line", color: "#2166ac", strokeWidth: 1.5, strokeDash: [4, 2], clip: true },
        encoding: { y: { field: "forecast", type: "quantitative" } },
      },
      {
        transform: [{ filter: "datum.reason !== null" }],
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          y: { field: "actual", type: "quantitative" },
          color: { field: "reason", type: "nominal", title: "flagged by", scale: { scheme: "set1" } },
          shape: { field: "reason", type: "nominal" },
          tooltip: [
            { field: "time", type: "temporal", format: "%H:%M" },
            { field: "actual", format: ".1f" },
            { field: "forecast", format: ".1f" },
            { field: "reason", title: "rule" },
          ],
        },
      },
    ],
  };
}

/** Flagged readings listed in the report; the rest are in quarantine.jsonl. */
const FLAGGED_ROWS = 150;

/** The readings the validate stage quarantined, each with the rule that flagged it and the injected fault. */
function flaggedReadings(records: JournalRecord[]): { rows: string[][]; total: number } {
  const flagged = records
    .filter((r) => r.kind === 1 && r.status === "quarantined" && r.actualNorm !== null && r.reason !== null)
    .map((r) => ({ r, payload: JSON.parse(r.payload) as { value: number; dataTime?: string } }))
    .sort((a, b) => (a.payload.dataTime ?? "").localeCompare(b.payload.dataTime ?? "") || a.r.period - b.r.period);
  // A terminal's scale (reading / load-series value) from any non-zero reading: a dropout's 0 / 0 tells nothing.
  const scales = new Map<string, number>();
  for (const r of records)
    if (r.kind === 1 && r.actualNorm && !scales.has(r.terminalId))
      scales.set(r.terminalId, (JSON.parse(r.payload) as { value: number }).value / r.actualNorm);
  const rows = flagged.slice(0, FLAGGED_ROWS).map(({ r, payload }) => {
    const scale = scales.get(r.terminalId) ?? 1;
    return [
      (payload.dataTime ?? "").slice(0, 16).replace("T", " "),
      r.label,
      fmt(payload.value, 2),
      r.forecastNorm === null ? "—" : fmt(r.forecastNorm * scale, 2),
      RULE_OF_REASON[r.reason as ReasonCode] ?? "validation",
      r.reason!,
      r.fault ?? "none (false alarm)",
    ];
  });
  return { rows, total: flagged.length };
}

/**
 * Per zone: size, generators, what its generators anchored and its modelled figures (a zoned run), then the
 * total over the zones (the block time of the slowest zone: zones build their blocks in parallel).
 */
export function zonesSection(z: ZonesSummary): string {
  const tried = z.tried.map((t) => `${t.k} (${t.deadlineViolations})`).join(", ");
  const rows = z.perZone.map((f) => [
    f.zone,
    f.buses,
    f.sources,
    f.generators.join(", ") || "—",
    f.batches,
    f.records,
    fmt(f.blockTimeMs, 1),
    fmt(f.lbNet, 2),
    f.deadlineViolations,
  ]);
  const sum = (pick: (f: (typeof z.perZone)[number]) => number) => z.perZone.reduce((a, f) => a + pick(f), 0);
  rows.push([
    `all ${z.k}`,
    sum((f) => f.buses),
    sum((f) => f.sources),
    `${new Set(z.perZone.flatMap((f) => f.generators)).size} buses`,
    sum((f) => f.batches),
    sum((f) => f.records),
    `${fmt(z.maxBlockTimeMs, 1)} (slowest zone)`,
    `${fmt(z.lbNet, 2)} (whole network)`,
    z.deadlineViolations,
  ]);
  return `<p>${z.k} zones (--zones ${escape(String(z.requested))}${z.requested === "auto" ? `; k tried (deadline violations at peak load): ${escape(tried)}` : ""}), each electing its own generator with QT-DR every period; each generator signs its zone's batches on its own stream. Mean over periods: slowest zone ${fmt(z.maxBlockTimeMs, 1)} ms, LB_net over the whole network ${fmt(z.lbNet, 2)} Mbit/s; deadline violations over all zones and periods: ${fmt(z.deadlineViolations)}.</p>
${table(["zone", "buses", "sources", "generator buses elected", "batches", "records anchored", "mean block time (ms)", "mean LB_net (Mbit/s)", "deadline violations"], rows)}`;
}

function blockTimeChart(routing: PeriodRouting[], chainStart: number): ChartSpec {
  // A zoned period is drawn as QT-DR's slowest zone (the zones build their blocks in parallel).
  const values = routing.flatMap((p) =>
    ALGORITHM_NAMES.map((a) => ({
      time: new Date((chainStart + p.period * 900) * 1000).toISOString(),
      algorithm: a,
      ms: (a === "QT-DR" ? p.zones?.maxBlockTimeMs : undefined) ?? p.algorithms[a]?.blockTimeMs ?? null,
    })),
  );
  return {
    $schema: VL,
    title: {
      text: "Modelled block generation time per period",
      subtitle: "collect + build + 2 broadcasts (P003 Fig. 9, ALGORITHMS.md §5)",
      anchor: "start",
    },
    width: WIDTH,
    height: 220,
    data: { values },
    mark: { type: "line", strokeWidth: 1.6 },
    encoding: {
      x: { field: "time", type: "temporal", title: "period (chain time, UTC)" },
      y: { field: "ms", type: "quantitative", title: "ms", scale: { zero: false } },
      color: { field: "algorithm", type: "nominal", scale: ALGORITHM_COLORS, title: null },
    },
  };
}

function linkUtilisationChart(routing: PeriodRouting[]): ChartSpec {
  const sums = new Map<string, number>();
  for (const p of routing) {
    for (const a of ALGORITHM_NAMES) {
      for (const [from, to, util] of p.algorithms[a]?.links ?? []) {
        const key = `${a}|${from}-${to}`;
        sums.set(key, (sums.get(key) ?? 0) + util);
      }
    }
  }
  const values = [...sums].map(([key, sum]) => {
    const [algorithm, link] = key.split("|");
    return { algorithm, link, util: (100 * sum) / routing.length };
  });
  const qtdr = new Map(values.filter((v) => v.algorithm === "QT-DR").map((v) => [v.link, v.util]));
  const order = [...qtdr.keys()].sort((a, b) => qtdr.get(b)! - qtdr.get(a)!);
  return {
    $schema: VL,
    title: {
      text: "Mean link utilisation over the run",
      subtitle: "links sorted by QT-DR utilisation; flatter is better balanced (P003 Fig. 10)",
      anchor: "start",
    },
    width: WIDTH,
    height: 220,
    data: { values },
    mark: { type: "point", filled: true, size: 40, opacity: 0.85 },
    encoding: {
      x: {
        field: "link",
        type: "ordinal",
        sort: order,
        title: "P2P link (bus-bus)",
        axis: { labelAngle: -90, labelFontSize: 8 },
      },
      y: { field: "util", type: "quantitative", title: "utilisation %" },
      color: { field: "algorithm", type: "nominal", scale: ALGORITHM_COLORS, title: null },
      shape: { field: "algorithm", type: "nominal", title: null },
    },
  };
}

function gasChart(batches: JournalBatch[], chainStart: number): ChartSpec {
  const values = batches.map((b) => ({
    time: new Date((chainStart + b.period * 900) * 1000).toISOString(),
    batch: b.batchKey.endsWith("readings") ? "readings" : "transactions",
    gas: b.gasUsed ?? 0,
    records: b.recordCount,
  }));
  return {
    $schema: VL,
    title: {
      text: "Gas per anchored batch",
      subtitle: "both batches of a period go in one transaction (Multicall); gas is split evenly",
      anchor: "start",
    },
    width: WIDTH,
    height: 180,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "time", type: "temporal", title: "period (chain time, UTC)" },
      y: { field: "gas", type: "quantitative", aggregate: "sum", title: "gas", stack: "zero" },
      color: { field: "batch", type: "nominal", scale: { range: ["#4393c3", "#f4a582"] }, title: null },
      tooltip: [{ field: "batch" }, { field: "gas" }, { field: "records" }],
    },
  };
}

function card(label: string, value: string, note = ""): string {
  return `<div class="card"><div class="value">${value}</div><div class="label">${escape(label)}</div>${note ? `<div class="note">${escape(note)}</div>` : ""}</div>`;
}

function table(headers: string[], rows: (string | number)[][], cls = ""): string {
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === "number" ? fmt(c) : escape(c)}</td>`).join("")}</tr>`)
    .join("");
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A self-contained HTML report of a run: counts, checks, the network model and the chain, with inline SVG charts. */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const { summary: s, routing, records, batches, terminals, options } = input;
  const chainStart = batches.length ? Number(JSON.parse(batches[0].header!).windowStart) - batches[0].period * 900 : 0;
  const picked = pickTerminals(records, terminals);
  const charts = await Promise.all([
    ...picked.map((t) => renderSvg(forecastChart(records, t))),
    renderSvg(blockTimeChart(routing, chainStart)),
    renderSvg(linkUtilisationChart(routing)),
    renderSvg(gasChart(batches, chainStart)),
  ]);
  const [forecasts, blockTime, links, gas] = [
    charts.slice(0, picked.length),
    charts[picked.length],
    charts[picked.length + 1],
    charts[picked.length + 2],
  ];
  const qtdrLb = s.lbNet["QT-DR"];
  const lbRows = ALGORITHM_NAMES.flatMap((a) => {
    const [ms, lb] = [s.blockTimeMs[a], s.lbNet[a]];
    if (ms === undefined || lb === undefined) return [];
    return [[a, fmt(ms, 1), fmt(lb, 1), a === "QT-DR" || !qtdrLb ? "—" : `${fmt(100 * (1 - qtdrLb / lb), 1)} %`]];
  });
  const faultRows = Object.entries(s.faults).map(([kind, f]) => [kind, f.injected, f.quarantined, f.missed]);
  const events = s.faultEvents ?? {};
  const delay = (h: number | null): string => (h === null ? "—" : `${fmt(h, 2)} h`);
  const eventRows = Object.entries(events).map(([kind, e]) => [
    kind,
    e.withPeer.events,
    `${e.withPeer.inBudget} (${delay(e.withPeer.delayHours.median)})`,
    `${e.withoutPeer.inBudget} (${delay(e.withoutPeer.delayHours.median)})`,
  ]);
  const flagged = flaggedReadings(records);
  const v = s.validation;
  const tamper = s.tamper;
  const ok = s.invariant.holds && s.verifiedSamples.failed === 0 && s.tamperDetected && s.batches.failed === 0;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GridLedger run ${escape(s.runId)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}
header{background:#12324a;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}
main{max-width:940px;margin:0 auto;padding:18px 20px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 150px;background:#f7f9fb;border:1px solid #e3e8ee;border-radius:6px;padding:10px 12px}
.card .value{font-size:24px;font-weight:600}.card .label{color:#4b5a69}.card .note{color:#7b8794;font-size:12px}
.verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;color:#fff;background:${ok ? "#1b7837" : "#b2182b"}}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e8ecf0}th{background:#f2f5f8;font-weight:600}
td:not(:first-child),th:not(:first-child){text-align:right}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
table.wrap td{word-break:break-all;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;text-align:left}
.chart svg{max-width:100%;height:auto}.muted{color:#6b7785}
</style></head><body>
<header><h1>GridLedger acquisition run</h1>
<p>${escape(s.runId)} · ${escape(s.case)} · ${s.days} day(s), ${s.periods} periods · network ${escape(s.network)} (chain ${s.chainId}) · seed ${s.seed}</p></header>
<main>
<section><h2>At a glance <span class="verdict">${ok ? "every record accounted for" : "needs attention"}</span></h2>
<div class="cards">
${card("records in", fmt(s.records.total))}
${card("anchored with a proof", fmt(s.records.anchored), `${fmt((100 * s.records.anchored) / Math.max(1, s.records.total), 1)} %`)}
${card("quarantined with a reason", fmt(s.records.quarantined), `${fmt((100 * s.records.quarantined) / Math.max(1, s.records.total), 1)} %`)}
${card("batches anchored", fmt(s.batches.anchored), `${s.batches.failed} failed · ${s.batches.transactions} transactions`)}
${card("gas per record", fmt(s.gas.perRecord, 1), `${fmt(s.gas.perBatch)} per batch`)}
${card("wall time", `${fmt(s.wallMs / 1000, 1)} s`)}
</div>
<p class="muted">${escape(s.invariant.statement)}. On-chain check of ${s.verifiedSamples.ok + s.verifiedSamples.failed} sampled records: ${s.verifiedSamples.ok} verified, ${s.verifiedSamples.failed} failed.</p>
</section>

<section><h2>Why records were quarantined</h2>
${table(
  ["reason", "rule that flagged", "records"],
  Object.entries(s.quarantineReasons).map(([r, n]) => [r, RULE_OF_REASON[r as ReasonCode] ?? "door check", n]),
)}
<h2 style="margin-top:14px">Injected faults (ground truth) and what the checks caught</h2>
${table(["fault", "injected", "quarantined", "missed"], faultRows)}
<p class="muted">Quarantined records with no injected fault (false alarms): ${fmt(s.falseAlarms)}. Faults a checker misses are anchored as ordinary records: the report counts them here instead of hiding them.</p>
${
  eventRows.length
    ? `<h2 style="margin-top:14px">Reading faults as events: caught within budget (median delay)</h2>
${table(["fault", "events", "with the peer check", "without it"], eventRows)}
<p class="muted">Budgets from the first faulty reading: spike, dropout and unit error 1 reading, stuck 2, drift 3 hours. "Without it" is the same validate stage's shadow verdicts on the same readings, the peer check left out.</p>`
    : ""
}
${
  v
    ? `<p class="muted">False alarms of the validate stage: ${fmt(v.falseAlarms.withPeer)} with the peer check, ${fmt(v.falseAlarms.withoutPeer)} without (${fmt(v.falseAlarmsPerDayPerStream.withPeer, 3)} and ${fmt(v.falseAlarmsPerDayPerStream.withoutPeer, 3)} per day per reading terminal). Rolling refit: ${v.refit.refits} refit(s), ${fmt(v.refit.totalMs)} ms in all.</p>`
    : ""
}
</section>

<section><h2>Flagged readings and the rule that flagged them</h2>
${
  flagged.total
    ? `${table(["data time (UTC)", "terminal", "reading (MW)", "forecast (MW)", "rule", "reason", "injected fault"], flagged.rows)}
<p class="muted">${flagged.total > flagged.rows.length ? `The first ${flagged.rows.length} of ${fmt(flagged.total)} flagged readings; quarantine.jsonl has every one with its rule and detail. ` : ""}Rules: one-step (the reading jumped away from the one-step forecast), level (far from the model's forecast for this terminal's usual error), CUSUM (a slow drift of the residual added up), peer (moved away from the neighbouring terminals' median), stuck, unit (a power of ten off), sign (zero or negative), input (could not be checked).</p>`
    : `<p class="muted">No reading was flagged.</p>`
}
</section>

<section><h2>Readings against the forecast</h2>
${forecasts.map((svg) => `<div class="chart">${svg}</div>`).join("\n")}
<p class="muted">Readings are divided by each terminal's scale into the load series' MW, checked against the validator's SVR forecast (one-step, per terminal), and drawn here back at the terminal's scale.</p>
</section>

<section><h2>Network model: block generation and balance</h2>
${s.zones ? zonesSection(s.zones) : table(["algorithm", "mean block time (ms)", "mean LB_net (Mbit/s)", "LB_net reduction by QT-DR"], lbRows)}
<div class="chart">${blockTime}</div>
${s.zones ? "" : `<div class="chart">${links}</div>`}
</section>

<section><h2>Chain</h2>
<div class="chart">${gas}</div>
${table(
  ["contract", "address"],
  Object.entries(s.contracts).map(([n, a]) => [n, a]),
)}
${
  tamper
    ? `<h2 style="margin-top:14px">One flipped bit (P003 Table 1)</h2>
<p>Record <code>${escape(tamper.recordId)}</code> of batch ${tamper.batchId}, byte ${tamper.flippedByte} of its canonical payload with its lowest bit flipped:</p>
${table(
  ["", "payload (canonical JSON)", "leaf hash"],
  [
    ["original", tamper.original.text, tamper.original.leafHash],
    ["one bit flipped", tamper.tampered.text, tamper.tampered.leafHash],
  ],
  "wrap",
)}
<p>The contract ${tamper.onChainVerifies ? "<b>accepted</b> the tampered record (this must not happen)" : "<b>rejects</b> the tampered record with the original proof"}.</p>`
    : ""
}
</section>
<p class="muted">Options: ${escape(JSON.stringify({ case: options.case, days: options.days, seed: options.seed, dataDay: options.dataDay, marketDay: options.marketDay }))}</p>
</main></body></html>
`;
}
