/** Local development node: starts anvil from its npm package on a free loopback port (tests, scripts, benches). */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

/** Where the anvil binary ships inside the npm package for this platform (@foundry-rs/anvil-<os>-<arch>). */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(
      `anvil is not installed for ${process.platform}-${arch}: expected the npm package ${pkg} (run npm ci)`,
    );
  }
  const bin = join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(bin)) throw new Error(`anvil binary missing at ${bin}`);
  return bin;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface AnvilOptions {
  port?: number;
  /** Load state from this file on start and dump it on exit. */
  stateFile?: string;
  /** Also dump state every N seconds, so a SIGKILL loses at most that much. */
  stateInterval?: number;
  /** Interval mining in seconds (default: automine). */
  blockTime?: number;
  /** Extra CLI arguments. */
  args?: string[];
  /** Pass anvil's output through (default: silent). */
  verbose?: boolean;
}

export interface AnvilHandle {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM (anvil dumps state), then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, as a power cut would. */
  kill(): Promise<void>;
}

async function rpcUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess, graceMs: number, then?: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = then ? setTimeout(then, graceMs) : undefined;
    child.once("exit", () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the anvil binary itself (not the npm wrapper, so stopping it really stops the node) on loopback. */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilHandle> {
  const port = options.port ?? (await freePort());
  const args = ["--host", "127.0.0.1", "--port", String(port)];
  if (!options.verbose) args.push("--silent");
  if (options.stateFile) args.push("--state", options.stateFile);
  if (options.stateInterval) args.push("--state-interval", String(options.stateInterval));
  if (options.blockTime) args.push("--block-time", String(options.blockTime));
  args.push(...(options.args ?? []));
  const child = spawn(anvilBinary(), args, { stdio: options.verbose ? "inherit" : "ignore" });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (!(await rpcUp(url))) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode} before answering on ${url}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${url} within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    process: child,
    stop: () => {
      const done = exited(child, 5_000, () => child.kill("SIGKILL"));
      child.kill("SIGTERM");
      return done;
    },
    kill: () => {
      const done = exited(child, 0);
      child.kill("SIGKILL");
      return done;
    },
  };
}
