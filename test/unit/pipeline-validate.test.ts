import { expect } from "chai";
import { SigningKey } from "ethers";
import { devTerminalWallet } from "../../src/chain/keys";
import { loadCase } from "../../src/grid/case";
import { initMerkle } from "../../src/merkle";
import { NO_FAULTS, type FaultPlan } from "../../src/pipeline/faults";
import { generatePeriod, type GenerationContext } from "../../src/pipeline/generate";
import type { TerminalDirectory } from "../../src/pipeline/ingest";
import type { JournalRecord } from "../../src/pipeline/journal";
import { resolveRunOptions } from "../../src/pipeline/options";
import { asIncoming, generationContext, scenarioProfiles } from "../../src/pipeline/run";
import { scenarioTerminals, type ScenarioTerminal } from "../../src/pipeline/scenario";
import {
  admitPackages,
  createValidateStage,
  replayJournal,
  validateRecordsAsync,
  type CheckContext,
  type CheckedRecord,
  type ReadingProfile,
  type ShadowVerdict,
} from "../../src/pipeline/stages/check";
import { validationSummary } from "../../src/pipeline/summary";
import { prepare, type Prepared } from "../../src/validation/run";
import { PEER_STAGE_RULES, ValidateStage } from "../../src/validation/stage";
import { countingForecasts } from "../helpers/forecasts";

const CHAIN_ID = 31337n;
const CHAIN_START = 1_900_000_000;
/** The drift every test here plays: a meter running off to +50% over 12 h from period 4. */
const DRIFT_FROM = 4;

/** A small world: IEEE 14's terminals replaying 2013-07-16, one planned drift and no other fault. */
interface World {
  prepared: Prepared;
  gen: GenerationContext;
  terminals: ScenarioTerminal[];
  directory: TerminalDirectory;
  profiles: Map<string, ReadingProfile>;
  meter: number;
  newStage: () => ValidateStage;
}

async function world(): Promise<World> {
  await initMerkle();
  const opts = resolveRunOptions({ case: "ieee14", seed: 3, faults: { ...NO_FAULTS } });
  const prepared = await prepare({
    data: opts.loadFile,
    trainFrom: "2013-01-01",
    trainTo: "2013-07-15",
    preset: "fast",
  });
  const loaded = loadCase({ case: opts.case });
  const terminals = scenarioTerminals(loaded.name, loaded.grid, opts.scenario);
  const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  const gen = generationContext(
    opts,
    loaded,
    terminals,
    keys,
    prepared,
    { chainId: CHAIN_ID, chainStart: CHAIN_START },
    96,
  );
  const meter = terminals.findIndex((t) => t.role === "meter");
  const plan: FaultPlan = {
    ...gen.plan,
    drift: [{ terminal: meter, fromPeriod: DRIFT_FROM, toPeriod: DRIFT_FROM + 48, magnitude: 0.5 }],
  };
  gen.plan = plan;
  const directory: TerminalDirectory = new Map(
    terminals.map((t) => [
      t.terminalId.toLowerCase(),
      { label: t.label, signer: devTerminalWallet(t.terminalId).address, active: true },
    ]),
  );
  return {
    prepared,
    gen,
    terminals,
    directory,
    profiles: scenarioProfiles(terminals, gen.loadMean, gen.noise),
    meter,
    newStage: () =>
      createValidateStage({
        model: prepared.model,
        series: prepared.series,
        startMs: gen.dataStartMs,
        grid: loaded.grid,
        terminals,
      }),
  };
}

/** Checks periods `from..to-1` through `stage` as runPipeline does; returns the journal rows they would make. */
async function runPeriods(
  w: World,
  stage: ValidateStage,
  from: number,
  to: number,
  shadow: Map<string, ShadowVerdict>,
): Promise<CheckedRecord[]> {
  const out: CheckedRecord[] = [];
  for (let period = from; period < to; period++) {
    const windowStart = CHAIN_START + period * w.gen.periodSeconds;
    const ctx: CheckContext = {
      ingest: {
        chainId: CHAIN_ID,
        directory: w.directory,
        windowStart,
        windowEnd: windowStart + w.gen.periodSeconds,
        seen: new Set(),
      },
      stage,
      directory: w.directory,
      profiles: w.profiles,
      period,
      shadow,
    };
    out.push(
      ...(await validateRecordsAsync(admitPackages(asIncoming(generatePeriod(w.gen, period)), ctx), ctx, Infinity)),
    );
  }
  return out;
}

const rowsOf = (records: readonly CheckedRecord[]): JournalRecord[] =>
  records.map((r) => ({ ...r.row, batchKey: null }));

describe("pipeline: validate stage (issue 14)", function () {
  this.timeout(120_000);
  let w: World;

  before(async function () {
    w = await world();
  });

  describe("generatePeriod", function () {
    it("applies a planned drift to the meter's readings and labels them drift once they change", function () {
      const clean = { ...w.gen, plan: { ...w.gen.plan, drift: [] } };
      const meterReading = (gen: GenerationContext, period: number) =>
        generatePeriod(gen, period)
          .find((g) => g.terminal === w.meter)!
          .items.find((i) => i.record.kind === 1)!;
      const first = meterReading(w.gen, DRIFT_FROM);
      expect(first.fault).to.equal(undefined); // factor 1 at the drift's first instant: nothing changed yet
      const period = DRIFT_FROM + 24;
      const drifted = meterReading(w.gen, period);
      const truth = meterReading(clean, period);
      expect(drifted.fault).to.equal("drift");
      expect(truth.fault).to.equal(undefined);
      const ratio = Number(drifted.record.payload.value) / Number(truth.record.payload.value);
      expect(ratio).to.be.closeTo(1 + 0.5 * (24 / 48), 1e-4);
    });
  });

  describe("validateRecordsAsync", function () {
    it("quarantines the drifting meter within 3 hours, names the rule, and keeps a verdict without the peer check", async function () {
      const shadow = new Map<string, ShadowVerdict>();
      const records = await runPeriods(w, w.newStage(), 0, DRIFT_FROM + 12, shadow);
      const meterId = w.terminals[w.meter].terminalId;
      const flagged = records.filter((r) => r.row.terminalId === meterId && r.row.status === "quarantined");
      expect(flagged.length, "the drift is flagged within 12 periods (3 h)").to.be.greaterThan(0);
      expect(flagged[0].row.fault).to.equal("drift");
      expect(flagged[0].row.detail).to.match(/^flagged by (peer|cusum|level|one-step) \(/);
      const readings = records.filter((r) => r.row.kind === 1 && r.row.actualNorm !== null);
      expect(readings.every((r) => shadow.has(r.row.recordId))).to.equal(true);
      expect(readings.every((r) => r.reading === undefined && r.row.forecastNorm !== null)).to.equal(true);
      expect(records.every((r) => r.row.status !== "pending" || r.accepted)).to.equal(true);
    });
  });

  describe("ValidateStage at minute cadence", function () {
    it("follows an hourly temperature step without flagging the clean readings after it", async function () {
      // Regression: the stage handed each reading the hour's temperature, so at 2013-07-20 00:00Z (a new hourly temperature)
      // the model forecast dropped 6% while the one-step reference kept the old temperature, and nearly every
      // source reading of the next 20 minutes was flagged. The validator now rebases the reference onto the step.
      const startMs = Date.parse("2013-07-19T23:00:00Z");
      const gen = { ...w.gen, dataStartMs: startMs, plan: { ...w.gen.plan, drift: [] } };
      const stage = createValidateStage({
        model: w.prepared.model,
        series: w.prepared.series,
        startMs,
        grid: loadCase({ case: "ieee14" }).grid,
        terminals: w.terminals,
      });
      const records = await runPeriods({ ...w, gen }, stage, 0, 8, new Map());
      const flagged = records.filter((r) => r.row.kind === 1 && r.row.status === "quarantined");
      expect(flagged.map((r) => `${r.row.recordId} ${r.row.reason}`)).to.deep.equal([]);
    });
  });

  describe("ValidateStage forecasts", function () {
    it("forecasts each instant once for the validator and its shadow, with the shadow's verdicts unchanged", async function () {
      // Regression: the shadow validator (the verdicts without the peer check) evaluated every instant's SVR forecast
      // a second time, a fifth of a gateway period's close. A stage without peers (same rules) has one validator.
      const alone = new ValidateStage({
        model: w.prepared.model,
        series: w.prepared.series,
        startMs: w.gen.dataStartMs,
        validator: PEER_STAGE_RULES,
        peers: null,
      });
      const shadow = new Map<string, ShadowVerdict>();
      const withPeers = await countingForecasts(() => runPeriods(w, w.newStage(), 0, DRIFT_FROM, shadow));
      const withoutPeers = await countingForecasts(() => runPeriods(w, alone, 0, DRIFT_FROM, new Map()));
      expect(withoutPeers.evaluations).to.be.greaterThan(0);
      expect(withPeers.evaluations).to.equal(withoutPeers.evaluations);
      // The clean periods' verdicts and the shadow's are those of the stage without peers.
      const verdicts = (records: CheckedRecord[]) =>
        records.map((r) => [r.row.recordId, r.row.status, r.row.forecastNorm]);
      expect(verdicts(withPeers.result)).to.deep.equal(verdicts(withoutPeers.result));
      const accepted = new Map(withoutPeers.result.map((r) => [r.row.recordId, r.accepted]));
      expect([...shadow].every(([id, v]) => v.ok === accepted.get(id))).to.equal(true);
    });
  });

  describe("replayJournal", function () {
    it("rebuilds the stage after a restart: the same history, the same next verdicts, the same shadow", async function () {
      const shadowA = new Map<string, ShadowVerdict>();
      const a = w.newStage();
      const journal = rowsOf(await runPeriods(w, a, 0, 10, shadowA));

      const shadowB = new Map<string, ShadowVerdict>();
      const b = w.newStage();
      const replayed = await replayJournal(b, journal, w.profiles, shadowB);
      expect(replayed).to.equal(journal.filter((r) => r.kind === 1 && r.actualNorm !== null).length);
      expect(b.lastInstant).to.equal(a.lastInstant);
      expect(b.history.end).to.equal(a.history.end);
      const sorted = (m: Map<string, ShadowVerdict>) => [...m].sort(([x], [y]) => x.localeCompare(y));
      expect(sorted(shadowB)).to.deep.equal(sorted(shadowA));

      const next = (stage: ValidateStage) => runPeriods(w, stage, 10, 14, new Map());
      const [afterA, afterB] = [rowsOf(await next(a)), rowsOf(await next(b))];
      expect(afterB).to.deep.equal(afterA);
      expect(afterA.some((r) => r.fault === "drift" && r.status === "quarantined")).to.equal(true);
    });

    it("refuses a journal whose verdicts the stage does not reproduce, naming the record, or reports it when told to", async function () {
      const journal = rowsOf(await runPeriods(w, w.newStage(), 0, 3, new Map()));
      const victim = journal.find((r) => r.kind === 1 && r.actualNorm !== null && r.reason === null)!;
      const altered = journal.map((r) => (r === victim ? { ...r, reason: "RESIDUAL_OVER_K_SIGMA" } : r));
      // Caught by hand, not with chai-as-promised: `npm run test:unit` runs plain mocha without it.
      const error: unknown = await replayJournal(w.newStage(), altered, w.profiles).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain(
        `resume: replaying the validate stage gives record ${victim.recordId} (period ${victim.period}) accepted`,
      );
      // The gateway must start: it is handed the message and keeps the replayed state.
      const messages: string[] = [];
      const replayed = await replayJournal(w.newStage(), altered, w.profiles, undefined, (m) => messages.push(m));
      expect(replayed).to.be.greaterThan(0);
      expect(messages).to.have.length(1);
      expect(messages[0]).to.contain(`record ${victim.recordId}`).and.contain("(1 of ");
    });
  });

  describe("validationSummary", function () {
    it("counts flags by rule and false alarms with and without the peer check", function () {
      const row = (id: string, reason: string | null, fault: string | null): JournalRecord => ({
        recordId: id,
        period: 0,
        terminalId: "a",
        label: "a",
        kind: 1,
        timestamp: 0,
        leafHash: "0x",
        status: reason ? "quarantined" : "anchored",
        reason,
        detail: null,
        batchKey: null,
        payload: "{}",
        actualNorm: 1,
        forecastNorm: 1,
        fault,
      });
      const records = [
        row("1", "PEER_DEVIATION", null),
        row("2", "CUSUM_DRIFT", "drift"),
        row("3", null, null),
        row("4", "RESIDUAL_OVER_K_SIGMA", null),
      ];
      const shadow = new Map<string, ShadowVerdict>([
        ["1", { ok: true }],
        ["2", { ok: false, flaggedBy: "cusum" }],
        ["3", { ok: false, flaggedBy: "one-step" }],
        ["4", { ok: false, flaggedBy: "one-step" }],
      ]);
      const v = validationSummary(records, {
        validation: { shadow, refit: { refits: 0, totalMs: 0, meanMs: 0, rowsPerFit: 0 } },
        opts: resolveRunOptions({ days: 2 }),
        terminals: w.terminals,
      });
      expect(v.peerCheck).to.equal(true);
      expect(v.flaggedBy).to.deep.equal({ peer: 1, cusum: 1, "one-step": 1 });
      expect(v.falseAlarms).to.deep.equal({ withPeer: 2, withoutPeer: 2 });
      const streams = w.terminals.filter((t) => t.samplesPerPeriod > 0).length;
      expect(v.falseAlarmsPerDayPerStream.withPeer).to.be.closeTo(2 / (2 * streams), 1e-3);
    });
  });
});
