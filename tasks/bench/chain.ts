import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gridTask } from "../common/gridTask";
import type { Rpc } from "../../bench/lib/chain";
import { load } from "../common/lazy";

export interface BenchChainOptions {
  rates: string;
  duration: number;
  terminals: number;
  maxRequests: number;
  drain: number;
  out: string;
  label?: string;
  confirmations: number;
  confirmationSamples: number;
}

/** Runs the query-vs-uplink benchmark against the task's network (loopback only) and writes JSON + SVG. */
export async function runBenchChain(hre: HardhatRuntimeEnvironment, opts: BenchChainOptions) {
  const bench = load.bench.chain();
  const { writeSvg } = load.plot.render();
  const rates = opts.rates.split(",").map((r) => Number(r.trim()));
  if (rates.some((r) => !(r > 0)))
    throw new Error(`--rates must be positive numbers such as 10,50,100; got "${opts.rates}"`);
  const config = hre.network.config as { url?: string };
  let rpc: Rpc;
  let txRpc: Rpc;
  if (hre.network.name === "hardhat") {
    rpc = txRpc = { send: (method, params) => hre.network.provider.send(method, params) };
  } else {
    if (!config.url) throw new Error(`network ${hre.network.name} has no URL`);
    rpc = bench.httpRpc(config.url);
    // One connection keeps transactions in nonce order.
    txRpc = bench.httpRpc(config.url, 1);
  }
  await hre.run("compile", { quiet: true });
  const [deployer] = await hre.ethers.getSigners();
  const label = opts.label ?? hre.network.name;
  const result = await bench.runChainBench(
    deployer,
    rpc,
    label,
    {
      rates,
      durationSec: opts.duration,
      terminals: opts.terminals,
      maxRequests: opts.maxRequests,
      drainSec: opts.drain,
      queryRecords: bench.BENCH_DEFAULTS.queryRecords,
      senderIndex: bench.BENCH_DEFAULTS.senderIndex,
      confirmations: opts.confirmations,
      confirmationSamples: opts.confirmationSamples,
      log: (line) => console.log(line),
    },
    txRpc,
  );
  mkdirSync(opts.out, { recursive: true });
  const json = join(opts.out, `chain-${label}.json`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  const svg = await writeSvg(join(opts.out, `chain-${label}.svg`), bench.benchChartSpec(result));
  console.log(
    `peak: query ${result.peak.queryPerSec}/s, uplink ${result.peak.uplinkPerSec}/s. Wrote ${json} and ${svg}`,
  );
  return result;
}

gridTask(
  "bench:chain",
  "Benchmark query (verifyRecord eth_call) vs uplink (anchorBatch tx) at offered rates (P000 Fig. 4)",
  (t) =>
    t
      .addOptionalParam("rates", "Offered rates in requests/s, comma-separated", "10,50,100,200,400")
      .addOptionalParam("duration", "Seconds of load per rate and kind", 10, types.float)
      .addOptionalParam("terminals", "Streams to rotate anchors over (each needs its own sequence)", 32, types.int)
      .addOptionalParam("maxRequests", "Cap on requests per rate and kind", 10_000, types.int)
      .addOptionalParam("drain", "Seconds to wait for answers after the last send", 30, types.float)
      .addOptionalParam("out", "Output folder", "bench/results")
      .addOptionalParam(
        "confirmations",
        "Also time single anchors until this many confirmations deep (0: skip)",
        0,
        types.int,
      )
      .addOptionalParam("confirmationSamples", "Anchors timed for --confirmations", 5, types.int)
      .addOptionalParam("label", "Name of the node in the results and their file names (default: the network name)")
      .setAction(async (args: BenchChainOptions, hre) => {
        await runBenchChain(hre, args);
      }),
);
