import { writeFileSync } from "node:fs";
import { join } from "node:path";
import canonicalize from "canonicalize";
import type { CoreContracts } from "../chain/contracts";
import { leafStruct } from "../chain/verify";
import { readProofs } from "../chain/proofs.node";
import { createRng } from "../common/rng";
import { recordLeaf, recordLeafHash, type GridRecord, type RecordProof } from "../merkle";
import { keccak256Hex } from "../merkle/keccak";
import { renderRunReport } from "../report/runReport";
import { DEFAULT_ALGORITHMS } from "../routing/algorithms";
import { delayStats, EVENT_BUDGET } from "../validation/metrics";
import type { RefitCost } from "../validation/refit";
import { RULE_OF_REASON, type ReasonCode } from "../validation/validator";
import type { Journal, JournalRecord } from "./journal";
import type { RunOptions } from "./options";
import type { ScenarioTerminal } from "./scenario";
import type { ShadowVerdict } from "./stages/check";
import {
  READING_FAULTS,
  type AlgorithmKey,
  type FaultEventScore,
  type PeriodRouting,
  type ReadingFault,
  type RunSummary,
} from "./summaryTypes";

export { READING_FAULTS } from "./summaryTypes";
export type { AlgorithmKey, FaultEventScore, PeriodRouting, ReadingFault, RunSummary } from "./summaryTypes";

/** The algorithms a run records per period: QT-DR and the three baselines. */
export const ALGORITHM_NAMES = DEFAULT_ALGORITHMS;

export interface SummaryInput {
  journal: Journal;
  core: CoreContracts;
  chainId: bigint;
  contracts: Record<string, string>;
  runId: string;
  dir: string;
  network: string;
  opts: RunOptions;
  started: number;
  terminals: readonly ScenarioTerminal[];
  /** The validate stage's verdicts without the peer check (by record id) and what its refits cost. */
  validation: { shadow: ReadonlyMap<string, ShadowVerdict>; refit: RefitCost };
  log: (line: string) => void;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Groups faulty readings into events (a stuck or drift run of one terminal is one event; each spike, dropout or
 * unit error is its own) and scores them as grid:validate does: caught within the kind's budget counted from
 * the event's first labelled reading (for drift that is stricter than grid:validate, which counts from 5% error),
 * and the delay to the first quarantined reading. "withPeer" is what the run did; "withoutPeer" what the same
 * validate stage did without the peer check (its shadow verdicts, `shadow`, by record id; a reading the door
 * refused is refused either way).
 */
export function scoreFaultEvents(
  records: readonly JournalRecord[],
  shadow: ReadonlyMap<string, ShadowVerdict>,
): RunSummary["faultEvents"] {
  type Hit = { t: number; flagged: boolean; flaggedWithoutPeer: boolean };
  const byKey = new Map<string, Hit[]>();
  for (const r of records) {
    if (r.kind !== 1 || !READING_FAULTS.includes(r.fault as ReadingFault)) continue;
    const t = Date.parse((JSON.parse(r.payload) as { dataTime: string }).dataTime);
    const flagged = r.status === "quarantined";
    const without = shadow.get(r.recordId);
    const key = `${r.fault}|${r.terminalId}`;
    const list = byKey.get(key) ?? [];
    list.push({ t, flagged, flaggedWithoutPeer: without ? !without.ok : flagged });
    byKey.set(key, list);
  }
  const out: RunSummary["faultEvents"] = {};
  for (const kind of READING_FAULTS) {
    const events: Hit[][] = [];
    for (const [key, list] of byKey) {
      if (!key.startsWith(`${kind}|`)) continue;
      list.sort((a, b) => a.t - b.t);
      if (kind !== "stuck" && kind !== "drift") {
        list.forEach((x) => events.push([x]));
        continue;
      }
      // One run per event: readings of one terminal less than an hour apart.
      let run: Hit[] = [];
      for (const x of list) {
        if (run.length && x.t - run[run.length - 1].t >= 3_600_000) {
          events.push(run);
          run = [];
        }
        run.push(x);
      }
      if (run.length) events.push(run);
    }
    if (events.length === 0) continue;
    const score = (hit: (x: Hit) => boolean): FaultEventScore => {
      const budget = EVENT_BUDGET[kind];
      const delays: number[] = [];
      let inBudget = 0;
      for (const ev of events) {
        const i = ev.findIndex(hit);
        if (i < 0) continue;
        const delayMs = ev[i].t - ev[0].t;
        delays.push(delayMs / 3_600_000);
        if (budget.hours !== undefined ? delayMs <= budget.hours * 3_600_000 : i < (budget.readings ?? 1)) inBudget++;
      }
      return { events: events.length, inBudget, recall: inBudget / events.length, delayHours: delayStats(delays) };
    };
    out[kind] = { withPeer: score((x) => x.flagged), withoutPeer: score((x) => x.flaggedWithoutPeer) };
  }
  return out;
}

/**
 * The validate stage's own figures: its flags by rule, its false alarms (flags on readings with no injected
 * fault) with and without the peer check, per day per reading terminal, and the refits' cost.
 */
export function validationSummary(
  records: readonly JournalRecord[],
  input: Pick<SummaryInput, "validation" | "opts" | "terminals">,
): RunSummary["validation"] {
  const flaggedBy: Record<string, number> = {};
  let withPeer = 0;
  let withoutPeer = 0;
  for (const r of records) {
    if (r.kind !== 1 || r.actualNorm === null) continue;
    if (r.status === "quarantined" && r.reason) {
      const rule = RULE_OF_REASON[r.reason as ReasonCode] ?? "validation";
      flaggedBy[rule] = (flaggedBy[rule] ?? 0) + 1;
    }
    if (r.fault) continue;
    if (r.status === "quarantined") withPeer++;
    if (input.validation.shadow.get(r.recordId)?.ok === false) withoutPeer++;
  }
  const streamDays = input.opts.days * input.terminals.filter((t) => t.samplesPerPeriod > 0).length;
  const perDay = (n: number) => Math.round((n / Math.max(1, streamDays)) * 1000) / 1000;
  return {
    peerCheck: input.validation.shadow.size > 0,
    flaggedBy,
    falseAlarms: { withPeer, withoutPeer },
    falseAlarmsPerDayPerStream: { withPeer: perDay(withPeer), withoutPeer: perDay(withoutPeer) },
    refit: input.validation.refit,
  };
}

function toRecord(r: JournalRecord): GridRecord {
  return {
    terminalId: r.terminalId,
    kind: r.kind as GridRecord["kind"],
    timestamp: r.timestamp,
    payload: JSON.parse(r.payload),
  };
}

/**
 * Verifies a seeded sample of anchored records on-chain from the proof files, and shows that a record with
 * one flipped bit (P003 Table 1) no longer verifies.
 */
async function verifyOnChain(input: SummaryInput, anchored: JournalRecord[]) {
  const { journal, core, dir, opts } = input;
  const rng = createRng(opts.seed).fork("verification-sample");
  const proofsByBatch = new Map<string, RecordProof[]>();
  const proofFor = (r: JournalRecord): RecordProof => {
    if (!proofsByBatch.has(r.batchKey!))
      proofsByBatch.set(r.batchKey!, readProofs(join(dir, "proofs", `${r.batchKey}.json`)));
    const proof = proofsByBatch.get(r.batchKey!)!.find((p) => p.leafHash === r.leafHash);
    if (!proof) throw new Error(`no proof for ${r.recordId} in proofs/${r.batchKey}.json`);
    return proof;
  };
  const batches = new Map(journal.batches().map((b) => [b.batchKey, b]));
  let ok = 0;
  let failed = 0;
  const picks = Math.min(opts.verifySamples, anchored.length);
  for (let i = 0; i < picks; i++) {
    const r = anchored[rng.int(0, anchored.length - 1)];
    const proof = proofFor(r);
    const record = toRecord(r);
    const local = recordLeafHash(record) === r.leafHash;
    // The record's fields, not its leaf hash: the contract hashes them, so no inner node can pass for the record.
    const root = batches.get(r.batchKey!)!.root;
    const onChain = await core.acquisition.verifyRecord(root, proof.proof, leafStruct(recordLeaf(record)));
    if (local && onChain) ok++;
    else failed++;
  }

  // P003 Table 1: flip the lowest bit of one digit of a reading in its serialised form; it stays valid JSON.
  const target = anchored.find((r) => r.kind === 1);
  if (!target) return { ok, failed, tamper: null };
  const text = canonicalize(JSON.parse(target.payload)) as string;
  const at = text.search(/\d(?=[,}][^"]*$)/);
  const flipped = `${text.slice(0, at)}${String.fromCharCode(text.charCodeAt(at) ^ 1)}${text.slice(at + 1)}`;
  const tamperedRecord = { ...toRecord(target), payload: JSON.parse(flipped) };
  const tamperedLeaf = recordLeafHash(tamperedRecord);
  const proof = proofFor(target);
  const onChainVerifies = await core.acquisition.verifyRecord(
    batches.get(target.batchKey!)!.root,
    proof.proof,
    leafStruct(recordLeaf(tamperedRecord)),
  );
  const utf8 = (s: string) => new TextEncoder().encode(s);
  return {
    ok,
    failed,
    tamper: {
      recordId: target.recordId,
      batchId: batches.get(target.batchKey!)!.batchId!,
      flippedByte: at,
      original: { text, leafHash: target.leafHash, payloadHash: keccak256Hex(utf8(text)) },
      tampered: { text: flipped, leafHash: tamperedLeaf, payloadHash: keccak256Hex(utf8(flipped)) },
      onChainVerifies,
    },
  };
}

/** Builds summary.json, quarantine.jsonl and report.html from the journal (so a resumed run reports the whole day). */
export async function buildSummary(input: SummaryInput): Promise<RunSummary> {
  const { journal, dir, opts } = input;
  const counts = journal.counts();
  if (counts.pending > 0) throw new Error(`${counts.pending} records are still pending: the run is not finished`);
  const records = journal.records();
  const anchored = records.filter((r) => r.status === "anchored");
  const quarantined = records.filter((r) => r.status === "quarantined");

  writeFileSync(
    join(dir, "quarantine.jsonl"),
    quarantined
      .map((r) =>
        JSON.stringify({
          recordId: r.recordId,
          period: r.period,
          terminal: r.label,
          reason: r.reason,
          rule: r.reason ? (RULE_OF_REASON[r.reason as ReasonCode] ?? "door check") : null,
          detail: r.detail,
          record: toRecord(r),
        }),
      )
      .join("\n") + (quarantined.length ? "\n" : ""),
  );

  const faults: RunSummary["faults"] = {};
  let falseAlarms = 0;
  for (const r of records) {
    if (r.fault) {
      const f = (faults[r.fault] ??= { injected: 0, quarantined: 0, missed: 0 });
      f.injected++;
      if (r.status === "quarantined") f.quarantined++;
      else f.missed++;
    } else if (r.status === "quarantined") falseAlarms++;
  }

  const batches = journal.batches();
  const confirmed = batches.filter((b) => b.state === "confirmed");
  const txs = new Map<string, number>();
  for (const b of confirmed) txs.set(b.txHash!, (txs.get(b.txHash!) ?? 0) + (b.gasUsed ?? 0));
  const totalGas = [...txs.values()].reduce((a, b) => a + b, 0);

  const routing: PeriodRouting[] = journal.periods().map((p) => ({
    period: p.period,
    generatorBus: p.generatorBus,
    tBuildMs: p.tBuildMs,
    ...(JSON.parse(p.routing) as Pick<PeriodRouting, "algorithms">),
  }));
  const perAlgorithm = (field: "blockTimeMs" | "lbNet") =>
    Object.fromEntries(
      ALGORITHM_NAMES.map((a) => [
        a,
        mean(routing.map((p) => p.algorithms[a]?.[field] ?? NaN).filter(Number.isFinite)),
      ]),
    ) as Record<AlgorithmKey, number>;

  const verification = await verifyOnChain(input, anchored);
  const total = counts.total;
  const summary: RunSummary = {
    runId: input.runId,
    network: input.network,
    chainId: Number(input.chainId),
    contracts: input.contracts,
    case: opts.case,
    days: opts.days,
    periods: opts.periods ?? opts.days * 96,
    seed: opts.seed,
    records: { total, anchored: counts.anchored, quarantined: counts.quarantined },
    invariant: {
      holds: counts.anchored + counts.quarantined === total,
      statement: `${counts.anchored} anchored + ${counts.quarantined} quarantined = ${counts.anchored + counts.quarantined} of ${total} records`,
    },
    quarantineReasons: counts.reasons,
    faults,
    falseAlarms,
    faultEvents: scoreFaultEvents(records, input.validation.shadow),
    validation: validationSummary(records, input),
    batches: { anchored: confirmed.length, failed: batches.length - confirmed.length, transactions: txs.size },
    gas: {
      total: totalGas,
      perBatch: confirmed.length ? Math.round(totalGas / confirmed.length) : 0,
      perRecord: counts.anchored ? Math.round((totalGas / counts.anchored) * 10) / 10 : 0,
    },
    verifiedSamples: { ok: verification.ok, failed: verification.failed },
    tamperDetected: verification.tamper !== null && !verification.tamper.onChainVerifies,
    tamper: verification.tamper,
    blockTimeMs: perAlgorithm("blockTimeMs"),
    lbNet: perAlgorithm("lbNet"),
    wallMs: Date.now() - input.started,
  };
  if (!summary.invariant.holds) throw new Error(`invariant broken: ${summary.invariant.statement}`);
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  const html = await renderRunReport({
    summary,
    routing,
    records,
    batches: confirmed,
    terminals: input.terminals,
    options: opts,
  });
  writeFileSync(join(dir, "report.html"), html);
  input.log(`wrote ${join(dir, "report.html")}`);
  return summary;
}
