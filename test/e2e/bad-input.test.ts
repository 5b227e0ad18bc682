import { expect } from "chai";
import hre from "hardhat";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { futureWindow, mineAt, scratchDir, writeReadingsCsv, writeTerminalsJson } from "../helpers/scenario";
import { runTask, taskError } from "../helpers/tasks";

const FIXTURES = join(__dirname, "fixtures", "bad-input");
const fixture = (name: string) => join(FIXTURES, name);
const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);
const TERMINAL = "bad.bus5.pmu";

/** One bad input: the task, its arguments and the message it must print. */
interface BadInput {
  what: string;
  task: string;
  args: Record<string, unknown>;
  message: RegExp;
}

/** Block number and every dev account's nonce: equal before and after means no transaction was sent. */
async function chainFootprint(): Promise<string> {
  const signers = await hre.ethers.getSigners();
  const nonces = await Promise.all(signers.slice(0, 4).map((s) => hre.ethers.provider.getTransactionCount(s.address)));
  return `${await hre.ethers.provider.getBlockNumber()}/${nonces.join(",")}`;
}

/** Runs `hardhat <argv>` as a user would on a headless server (CI=true, no display); resolves even when it fails. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", TS_NODE_TRANSPILE_ONLY: "true" };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.HARDHAT_SHOW_STACK_TRACES;
  try {
    const { stdout, stderr } = await promisify(execFile)(join("node_modules", ".bin", "hardhat"), argv, { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** The ANSI colour codes Hardhat prints around "Error in plugin". */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** What a person reads on stderr: lines with text, colours stripped. */
const textLines = (s: string) =>
  s
    .replace(ANSI_COLOUR, "")
    .split("\n")
    .filter((l) => l.trim() !== "");

describe("bad input (tasks end to end)", function () {
  this.timeout(120_000);
  const dir = scratchDir("bad-input");
  let goodCsv: string;
  let windowStart: number;

  before(async function () {
    await runTask("grid:deploy");
    const terminals = writeTerminalsJson(dir);
    writeFileSync(terminals, JSON.stringify([{ id: TERMINAL, kind: "PMU", grid: "ieee39", bus: 5 }]));
    await runTask("grid:terminal:register", { file: terminals });
    const latest = (await send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    windowStart = futureWindow(Number(latest.timestamp));
    goodCsv = writeReadingsCsv(dir, "good.csv", windowStart, 6);
    await mineAt(send, windowStart + 900 + 5);
    expect(await runTask("grid:anchor", { file: goodCsv, terminal: TERMINAL, type: 1 })).to.match(/^Anchored 6/);
  });

  const anchor = (file: string, extra: Record<string, unknown> = {}) => ({
    file: fixture(file),
    terminal: TERMINAL,
    type: 1,
    ...extra,
  });

  const table: BadInput[] = [
    // Files that are not readable tables or JSON.
    {
      what: "an empty file",
      task: "grid:anchor",
      args: anchor("empty.csv"),
      message: /empty\.csv:1: the file is empty/,
    },
    {
      what: "a header without rows",
      task: "grid:anchor",
      args: anchor("header-only.csv"),
      message: /header-only\.csv:1: no records in the file/,
    },
    {
      what: "a UTF-16 file",
      task: "grid:anchor",
      args: anchor("utf16.csv"),
      message: /utf16\.csv:1: the file is UTF-16 .*save it as UTF-8/,
    },
    {
      what: "a semicolon-separated file",
      task: "grid:anchor",
      args: anchor("semicolon.csv"),
      message: /semicolon\.csv:1: the header is separated by ";", not by commas/,
    },
    {
      what: "a duplicate column",
      task: "grid:anchor",
      args: anchor("duplicate-column.csv"),
      message: /duplicate-column\.csv:1 column "power_kw": duplicate column \(columns 2 and 3\)/,
    },
    {
      what: "a missing timestamp column",
      task: "grid:anchor",
      args: anchor("missing-timestamp.csv"),
      message: /missing-timestamp\.csv:1 field "timestamp": missing column \(have time, power_kw, voltage_v\)/,
    },
    {
      what: "a row with a missing cell",
      task: "grid:anchor",
      args: anchor("short-row.csv"),
      message: /short-row\.csv:3: expected 3 cells, found 2/,
    },
    {
      what: "a .txt file",
      task: "grid:anchor",
      args: anchor("records.txt"),
      message: /records\.txt:1: unsupported extension "\.txt"/,
    },
    // Values that do not match the reading schema.
    {
      what: "a number field holding abc",
      task: "grid:anchor",
      args: anchor("not-a-number.csv"),
      message: /not-a-number\.csv:3 field "power_kw": not a number: "abc" \(data type 1\)/,
    },
    {
      what: "a number field holding NaN",
      task: "grid:anchor",
      args: anchor("nan.csv"),
      message: /nan\.csv:2 field "power_kw": not a number: "NaN"/,
    },
    {
      what: "an empty number cell",
      task: "grid:anchor",
      args: anchor("empty-cell.csv"),
      message: /empty-cell\.csv:4 field "voltage_v": empty: a number is required/,
    },
    {
      what: "a timestamp without a zone",
      task: "grid:anchor",
      args: anchor("bad-timestamp.csv"),
      message: /bad-timestamp\.csv:3 field "timestamp": expected ISO 8601 with a zone/,
    },
    {
      what: "a duplicate row",
      task: "grid:anchor",
      args: anchor("duplicate-row.csv"),
      message: /duplicate-row\.csv:4: duplicate row: the same record as line 2/,
    },
    {
      what: "an unknown kind",
      task: "grid:anchor",
      args: anchor("bad-kind.csv"),
      message: /bad-kind\.csv:2 field "kind": unknown kind "meter"/,
    },
    {
      what: "a power transaction without a buyer",
      task: "grid:anchor",
      args: anchor("transaction-no-buyer.json", { type: 2 }),
      message: /transaction-no-buyer\.json:2 field "buyer": missing \(data type 2\)/,
    },
    // JSON that JSON.parse would accept by changing it, or not at all.
    {
      what: "truncated JSON",
      task: "grid:anchor",
      args: anchor("truncated.json"),
      message: /truncated\.json:3 field "\[1\]": expected "," or "}", the file ends early \(truncated JSON\?\)/,
    },
    {
      what: "a JSON object instead of an array",
      task: "grid:anchor",
      args: anchor("not-array.json"),
      message: /not-array\.json:1: expected a JSON array of records/,
    },
    {
      what: "a record with an unknown field",
      task: "grid:anchor",
      args: anchor("unknown-field.json"),
      message:
        /unknown-field\.json:2 field "note": unknown field: a record has terminalId, kind, timestamp and payload/,
    },
    {
      what: "an integer beyond 2^53",
      task: "grid:anchor",
      args: anchor("big-integer.json"),
      message:
        /big-integer\.json:2 field "\[0\]\.energy_wh": integer 12345678901234567890 is beyond 2\^53 and would be rounded to 12345678901234567000: write it as a decimal string/,
    },
    {
      what: "a duplicate JSON key",
      task: "grid:anchor",
      args: anchor("duplicate-key.json"),
      message: /duplicate-key\.json:3 field "\[0\]\.power_kw": duplicate key/,
    },
    {
      what: "a boolean where a number belongs",
      task: "grid:anchor",
      args: anchor("wrong-type.json"),
      message: /wrong-type\.json:3 field "power_kw": expected a number, got boolean/,
    },
    {
      what: "a NaN literal in JSON",
      task: "grid:anchor",
      args: anchor("nan.json"),
      message: /nan\.json:2 field "\[0\]\.power_kw": NaN is not a JSON number/,
    },
    {
      what: "a terminal id that is not hex",
      task: "grid:anchor",
      args: anchor("bad-hex.json"),
      message: /bad-hex\.json:2 field "terminalId": terminal id 0x12zz is 0x-prefixed but not 32 bytes of hex/,
    },
    {
      what: "a payload that is an array",
      task: "grid:anchor",
      args: anchor("payload-not-object.json"),
      message: /payload-not-object\.json:2 field "payload": expected a JSON object/,
    },
    // Flags.
    {
      what: "--type 70000",
      task: "grid:anchor",
      args: anchor("nan.csv", { type: 70000 }),
      message: /--type 70000 is not a data type: data types are whole numbers 0-65535/,
    },
    {
      what: "--kind that is not a kind",
      task: "grid:anchor",
      args: anchor("nan.csv", { kind: "telemetry" }),
      message: /--kind must be generic, reading, transaction, event or 0-3, got "telemetry"/,
    },
    {
      what: "--terminal 0x1234",
      task: "grid:anchor",
      args: anchor("nan.csv", { terminal: "0x1234" }),
      message: /terminal id 0x1234 is 0x-prefixed but not 32 bytes of hex/,
    },
    {
      what: "--out into a missing folder",
      task: "grid:anchor",
      args: { file: "<good>", terminal: TERMINAL, type: 1, out: "<dir>/missing/proofs.json" },
      message: /--out .*missing\/proofs\.json: the folder .*missing does not exist/,
    },
    {
      what: "--out that is a folder",
      task: "grid:anchor",
      args: { file: "<good>", terminal: TERMINAL, type: 1, out: "<dir>" },
      message: /--out .* is a folder: give a file path/,
    },
    {
      what: "a re-run with another --kind",
      task: "grid:anchor",
      args: { file: "<good>", terminal: TERMINAL, type: 1, kind: "event" },
      message: /good\.csv was already anchored as batch \d+ .*with other flags: --kind \(was reading, now event\)/,
    },
    {
      what: "a re-run with another --type",
      task: "grid:anchor",
      args: { file: "<good>", terminal: TERMINAL, type: 7 },
      message: /good\.csv was already anchored as batch \d+ .*with other flags: --type \(was 1, now 7\)/,
    },
    {
      what: "a re-run with another --terminal",
      task: "grid:anchor",
      args: { file: "<good>", terminal: "bad.bus6.pmu", type: 1 },
      message: /with other flags: --terminal \(was 0x[0-9a-f]{64}, now 0x[0-9a-f]{64}\)/,
    },
    // Terminal registration: every row is checked first, so a bad row registers nothing.
    {
      what: "an empty bus halfway through a terminals file",
      task: "grid:terminal:register",
      args: { file: fixture("terminals-empty-bus.csv") },
      message: /terminals-empty-bus\.csv:3 field "bus": empty: give the bus number/,
    },
    {
      what: "a UTF-8 grid label over 31 bytes",
      task: "grid:terminal:register",
      args: { file: fixture("terminals-long-grid.json") },
      message: /terminals-long-grid\.json:3 field "grid": "réseau-électrique-île-de-france" is 34 bytes in UTF-8/,
    },
    {
      what: "signer 0x1234 in a terminals file",
      task: "grid:terminal:register",
      args: { file: fixture("terminals-short-signer.json") },
      message:
        /terminals-short-signer\.json:3 field "signer": "0x1234" is not an address: expected 0x and 40 hex digits, got 4/,
    },
    {
      what: "one signer for two terminals",
      task: "grid:terminal:register",
      args: { file: fixture("terminals-same-signer.json") },
      message:
        /terminals-same-signer\.json:3 field "signer": 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 is already the signer of line 2/,
    },
    {
      what: "--signer 0x1234",
      task: "grid:terminal:rotate",
      args: { terminal: TERMINAL, signer: "0x1234" },
      message: /--signer 0x1234 is not an address: expected 0x and 40 hex digits, got 4/,
    },
  ];

  it(`has at least 25 bad inputs (${table.length})`, function () {
    expect(table.length).to.be.at.least(25);
  });

  for (const bad of table) {
    it(`refuses ${bad.what} with a clear message and sends nothing`, async function () {
      const args = Object.fromEntries(
        Object.entries(bad.args).map(([k, v]) => [
          k,
          typeof v === "string" ? v.replace("<good>", goodCsv).replace("<dir>", dir) : v,
        ]),
      );
      const before = await chainFootprint();
      const message = await taskError(bad.task, args);
      expect(message).to.match(bad.message);
      expect(message.split("\n"), "one line").to.have.length(1);
      expect(await chainFootprint(), "no transaction may be sent").to.equal(before);
    });
  }

  it("re-runs with the same flags as already anchored", async function () {
    const before = await chainFootprint();
    expect(await runTask("grid:anchor", { file: goodCsv, terminal: TERMINAL, type: 1 })).to.match(/^Already anchored/);
    expect(await chainFootprint()).to.equal(before);
  });

  it("refuses to overwrite another batch's proofs with a changed file", async function () {
    const file = writeReadingsCsv(dir, "changed.csv", windowStart, 3, 40);
    await runTask("grid:anchor", { file, terminal: TERMINAL, type: 1 });
    writeReadingsCsv(dir, "changed.csv", windowStart, 4, 40);
    const before = await chainFootprint();
    expect(await taskError("grid:anchor", { file, terminal: TERMINAL, type: 1 })).to.match(
      /changed\.csv\.proofs\.json holds the proofs of batch \d+, anchored from other records; .*give another --out/,
    );
    expect(await chainFootprint()).to.equal(before);
  });

  it("anchors a UTF-8 file with a byte order mark as if it had none", async function () {
    const plain = writeReadingsCsv(dir, "bom.csv", windowStart, 2, 60);
    const text = readFileSync(plain, "utf8");
    writeFileSync(plain, `\ufeff${text}`);
    await runTask("grid:anchor", { file: plain, terminal: TERMINAL, type: 1 });
    const proofs = JSON.parse(readFileSync(`${plain}.proofs.json`, "utf8"));
    expect(Object.keys(proofs.proofs[0].record.payload)).to.deep.equal(["power_kw", "voltage_v"]);
  });

  it("keeps an integer beyond 2^53 exact end to end, so a neighbouring value does not verify", async function () {
    const file = join(dir, "energy.csv");
    const at = new Date((windowStart + 600) * 1000).toISOString().replace(".000", "");
    writeFileSync(file, `timestamp,energy_wh\n${at},12345678901234567890\n`);
    // The README's forms: grid:anchor --out proofs.json, then grid:verify --proof proofs.json --record record.json.
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    expect(readme).to.contain("npx hardhat grid:verify --proof proofs.json --record record.json");
    expect(readme).to.contain("grid:anchor --terminal <label or id> --type 1 --file records.csv --out proofs.json");
    const proofsFile = join(dir, "proofs.json");
    await runTask("grid:anchor", { terminal: TERMINAL, type: 1, file, out: proofsFile });
    const { record } = JSON.parse(readFileSync(proofsFile, "utf8")).proofs[0];
    expect(record.payload.energy_wh).to.equal("12345678901234567890");

    const recordFile = join(dir, "record.json");
    const verify = (energy: string) => {
      writeFileSync(recordFile, JSON.stringify(record).replace('"12345678901234567890"', energy));
      return runTask("grid:verify", { proof: proofsFile, record: recordFile });
    };
    expect(await verify('"12345678901234567890"')).to.match(/^ANCHORED in batch \d+/);
    await expect(verify('"12345678901234567891"')).to.be.rejectedWith(/^TAMPERED/);
    await expect(verify("12345678901234567891")).to.be.rejectedWith(
      /record\.json:1 field "payload\.energy_wh": integer 12345678901234567891 is beyond 2\^53/,
    );
  });

  context("sharing", function () {
    let accounts: string[];
    let proofs: string;
    let datasetId: string;

    before(async function () {
      accounts = (await hre.ethers.getSigners()).map((s) => s.address);
      proofs = `${goodCsv}.proofs.json`;
      await runTask("grid:provider:certify", { provider: accounts[1] });
      await runTask("grid:share:authorise", { provider: accounts[1], terminal: TERMINAL });
      const batch = JSON.parse(readFileSync(proofs, "utf8")).batch.batchId;
      const registered = await runTask("grid:dataset:register", {
        batches: String(batch),
        uri: "ipfs://x",
        account: 1,
      });
      datasetId = /Registered dataset (\d+)/.exec(registered)![1];
    });

    it("writes the bundle before granting, and --out into a folder leaves the receiver's grant working", async function () {
      const share = (out: string) =>
        runTask("grid:share", { dataset: datasetId, receiver: accounts[3], expiry: "1d", proofs, out, account: 1 });
      const bundle = join(dir, "first.bundle.json");
      expect(await share(bundle)).to.match(/Shared 6 records/);

      const folder = join(dir, "bundles");
      mkdirSync(folder);
      const before = await chainFootprint();
      await expect(share(folder)).to.be.rejectedWith(/--out .*bundles is a folder: give the bundle's file path/);
      expect(await chainFootprint(), "no grant may be sent").to.equal(before);
      expect(await runTask("grid:receive", { bundle, out: join(dir, "received") })).to.contain("Received 6 records");
    });
  });

  context("on the command line of a headless server (CI=true, no display)", function () {
    const badType = ["grid:anchor", "--file", fixture("nan.csv"), "--terminal", TERMINAL, "--type", "70000"];

    it("prints one error line without a stack and exits 1; --show-stack-traces still prints the trace", async function () {
      this.timeout(600_000);
      const [plain, traced, fileError] = await Promise.all([
        cli(badType),
        cli([...badType, "--show-stack-traces"]),
        cli(["grid:terminal:register", "--file", fixture("terminals-empty-bus.csv")]),
      ]);
      expect(plain.code).to.equal(1);
      expect(textLines(plain.stderr)).to.deep.equal([
        "Error in plugin GridLedger: --type 70000 is not a data type: data types are whole numbers 0-65535 (1 readings, 2 transactions, 3 events)",
        "For more info run hardhat with --show-stack-traces",
      ]);
      expect(traced.code).to.equal(1);
      expect(traced.stderr).to.match(/\n\s+at .*gridTask\.ts/);
      expect(fileError.code).to.equal(1);
      expect(textLines(fileError.stderr)[0]).to.match(
        /^Error in plugin GridLedger: .*terminals-empty-bus\.csv:3 field "bus": empty: give the bus number/,
      );
      expect(fileError.stderr).to.not.match(/\n\s+at /);
    });
  });
});
