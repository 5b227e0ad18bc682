import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { RUN_DEFAULTS, SEND_DEFAULTS } from "../../src/pipeline/options";
import { relayer } from "../common/endpoints";
import { load } from "../common/lazy";

export interface RunTaskOptions {
  case: string;
  days: number;
  periods?: number;
  seed: number;
  out: string;
  resume?: string;
  confirmations: number;
  dataDay: string;
  marketDay: string;
  model?: string;
  retries: number;
  /** Batches one anchoring transaction carries at most. */
  batchesPerTx: number;
  noFaults: boolean;
  /** "auto" or a count: zones each with its own elected generator (default: one generator). */
  zones?: string;
}

/** Runs the acquisition pipeline on the task's --network and prints where the outputs are. */
export async function runAcquisition(hre: HardhatRuntimeEnvironment, args: RunTaskOptions) {
  await hre.run("compile", { quiet: true });
  const { runPipeline } = load.pipeline.run();
  const { NO_FAULTS } = load.pipeline.faults();
  const zones = args.zones === undefined ? undefined : load.routing.zones().parseZoneCount(args.zones);
  const { SingleBar, Presets } = load.packages.cliProgress();
  const { signer, provider } = await relayer(hre, (line) => console.log(line));
  const bar = process.stdout.isTTY
    ? new SingleBar(
        { format: "{bar} {value}/{total} periods | {eta_formatted} left", hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  const lines: string[] = [];
  let started = false;
  try {
    const result = await runPipeline(
      {
        case: args.case,
        days: args.days,
        periods: args.periods,
        seed: args.seed,
        out: args.out,
        resume: args.resume,
        confirmations: args.confirmations,
        dataDay: args.dataDay,
        marketDay: args.marketDay,
        modelFile: args.model,
        send: { ...SEND_DEFAULTS, attempts: args.retries, batchesPerTransaction: args.batchesPerTx },
        zones,
        ...(args.noFaults ? { faults: { ...NO_FAULTS } } : {}),
      },
      {
        signer,
        provider,
        network: hre.network.name,
        log: (line) => (bar && started ? lines.push(line) : console.log(line)),
        onPeriod: (done, total) => {
          if (!bar) return;
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        },
      },
    );
    bar?.stop();
    for (const line of lines) console.log(line);
    const s = result.summary;
    console.log(`run ${s.runId} on ${s.network} (chain ${s.chainId}) in ${(s.wallMs / 1000).toFixed(1)} s`);
    console.log(
      `  records: ${s.records.total} = ${s.records.anchored} anchored + ${s.records.quarantined} quarantined (${
        Object.entries(s.quarantineReasons)
          .map(([r, n]) => `${r} ${n}`)
          .join(", ") || "none"
      })`,
    );
    console.log(
      `  batches: ${s.batches.anchored} anchored in ${s.batches.transactions} transactions, ${s.gas.perBatch} gas per batch, ${s.gas.perRecord} per record`,
    );
    console.log(
      `  verified on-chain: ${s.verifiedSamples.ok}/${s.verifiedSamples.ok + s.verifiedSamples.failed} samples; one-bit tamper detected: ${s.tamperDetected}`,
    );
    const blockTimes = Object.entries(s.blockTimeMs);
    if (blockTimes.length > 0)
      console.log(`  block time (mean ms): ${blockTimes.map(([a, ms]) => `${a} ${ms.toFixed(1)}`).join(", ")}`);
    if (s.zones)
      console.log(
        `  zones: ${s.zones.k} (--zones ${s.zones.requested}), each its own generator; slowest zone ${s.zones.maxBlockTimeMs.toFixed(1)} ms, LB_net ${s.zones.lbNet.toFixed(2)} Mbit/s, ${s.zones.deadlineViolations} deadline violations; per zone in summary.json and report.html`,
      );
    const v = s.validation;
    console.log(
      `  fault events in budget (with / without the peer check): ${
        Object.entries(s.faultEvents)
          .map(([kind, e]) => `${kind} ${e.withPeer.inBudget}/${e.withoutPeer.inBudget} of ${e.withPeer.events}`)
          .join(", ") || "none injected"
      }; false alarms ${v.falseAlarms.withPeer} / ${v.falseAlarms.withoutPeer}; refits ${v.refit.refits}`,
    );
    console.log(`  outputs: ${result.dir}/{summary.json,quarantine.jsonl,proofs/,report.html}`);
    return result;
  } finally {
    bar?.stop();
  }
}

gridTask(
  "run",
  "Run a simulated acquisition day: readings -> validate -> sign -> route/elect -> anchor -> proofs -> report",
  (t) =>
    t
      .addOptionalParam("case", "IEEE case (ieee14, ieee39, ieee118, ...)", RUN_DEFAULTS.case, types.string)
      .addOptionalParam("days", "Simulated days of 96 fifteen-minute periods", RUN_DEFAULTS.days, types.int)
      .addOptionalParam(
        "periods",
        "Only the first N fifteen-minute periods (a short run; default: all of --days)",
        undefined,
        types.int,
      )
      .addOptionalParam("seed", "Seed of noise, faults and sampling", RUN_DEFAULTS.seed, types.int)
      .addOptionalParam("out", "Parent folder of run folders", RUN_DEFAULTS.out, types.string)
      .addOptionalParam("resume", "Continue the run with this id (a folder under --out) after a crash or outage")
      .addOptionalParam(
        "confirmations",
        "Blocks to wait for per anchoring transaction",
        RUN_DEFAULTS.confirmations,
        types.int,
      )
      .addOptionalParam(
        "dataDay",
        "GEFCom local day whose load is replayed (the validator trains on the data before it)",
        RUN_DEFAULTS.dataDay,
        types.string,
      )
      .addOptionalParam(
        "marketDay",
        "Elia market day that prices the transactions (UTC)",
        RUN_DEFAULTS.marketDay,
        types.string,
      )
      .addOptionalParam(
        "model",
        "A saved validator model JSON (default: trained with the fast preset and kept in the run folder)",
      )
      .addOptionalParam(
        "retries",
        "Send attempts (with exponential back-off) before giving up on an unreachable node",
        SEND_DEFAULTS.attempts,
        types.int,
      )
      .addOptionalParam(
        "batchesPerTx",
        "Batches one anchoring transaction carries at most (a zoned run has two per zone; mind the block gas limit)",
        SEND_DEFAULTS.batchesPerTransaction,
        types.int,
      )
      .addFlag("noFaults", "Inject no faults")
      .addOptionalParam(
        "zones",
        "auto | k: cut the grid into zones, each electing its own generator that signs its zone's batches",
      )
      .setAction(async (args: RunTaskOptions, hre) => {
        await runAcquisition(hre, args);
      }),
);
