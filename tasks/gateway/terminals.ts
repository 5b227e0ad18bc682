import { writeFileSync } from "node:fs";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { RUN_DEFAULTS } from "../../src/pipeline/options";

export interface TerminalsTaskOptions {
  gateway: string;
  case: string;
  speed: number;
  periods: number;
  seed: number;
  noFaults: boolean;
  sendDelay: number;
  out?: string;
}

/** Plays the case's terminals against a gateway and prints what was acknowledged and refused. */
export async function playTerminalsTask(hre: HardhatRuntimeEnvironment, args: TerminalsTaskOptions) {
  const { playTerminals } = load.gateway.terminals();
  if (!/^(mqtt|mqtts|http|https):\/\//.test(args.gateway))
    throw new Error(`--gateway ${args.gateway}: expected mqtt://host:port or http://host:port`);
  if (!(args.speed > 0)) throw new Error(`--speed ${args.speed}: expected a positive number`);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const report = await playTerminals({
    gateway: args.gateway,
    case: args.case,
    speed: args.speed,
    periods: args.periods,
    seed: args.seed,
    faults: !args.noFaults,
    chainId,
    sendDelaySeconds: args.sendDelay,
    log: (line) => console.log(line),
  });
  console.log(
    `${report.packages} packages (${report.records} records) to ${report.gateway}: ${report.acked} acknowledged, ` +
      `refused ${JSON.stringify(report.rejected)}, ${report.errors} errors; ack p50 ${report.ackMs.p50.toFixed(1)} ms, p99 ${report.ackMs.p99.toFixed(1)} ms`,
  );
  if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
  return report;
}

gridTask(
  "terminals",
  "Play a case's terminals (dev keys, signed packages, seeded faults) against a gateway over MQTT or HTTP",
  (t) =>
    t
      .addParam("gateway", "mqtt://host:port or http://host:port", undefined, types.string)
      .addOptionalParam("case", "IEEE case", RUN_DEFAULTS.case, types.string)
      .addOptionalParam(
        "speed",
        "Replayed seconds per wall-clock second: each 15-minute frame takes 900/speed s (start grid:serve with --period 900/speed)",
        1,
        types.float,
      )
      .addOptionalParam("periods", "Periods to play", 4, types.int)
      .addOptionalParam("seed", "Seed of noise and faults", RUN_DEFAULTS.seed, types.int)
      .addFlag("noFaults", "Inject no faults")
      .addOptionalParam("sendDelay", "Seconds after a period's end when terminals send it", 1, types.float)
      .addOptionalParam("out", "Write the report (every package and its fate) as JSON")
      .setAction(async (args: TerminalsTaskOptions, hre) => {
        await playTerminalsTask(hre, args);
      }),
);
