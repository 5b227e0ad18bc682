import { expect } from "chai";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CoreContracts } from "../../src/chain/contracts";
import {
  registerTerminals,
  REGISTRATIONS_IN_FLIGHT,
  REGISTRATIONS_PER_TX,
  toTerminalSpecs,
} from "../../src/terminals/registration";
import { addressOption, dataTypeOption, writableFileOption } from "../../tasks/common/options";
import { scratchDir } from "../helpers/scenario";

const signer = (i: number) => `0x${(i + 1).toString(16).padStart(40, "0")}`;
const row = (i: number, extra: Record<string, unknown> = {}) => ({
  raw: { id: `unit.bus${i}.pmu`, kind: "PMU", bus: i, signer: signer(i), ...extra },
  line: i + 2,
});

/** A registry stand-in whose packed reads find every terminal unregistered and every signer free. */
function registryWith(multicall: unknown): CoreContracts {
  return {
    registry: {
      interface: {
        encodeFunctionData: (fn: string) => (fn === "register" ? "0x" : `view:${fn}`),
        decodeFunctionResult: (fn: string) =>
          fn === "signerAndStatus" ? ["0x" + "0".repeat(40), 0n] : ["0x" + "0".repeat(64)],
      },
      multicall,
    },
  } as unknown as CoreContracts;
}

describe("terminals", function () {
  describe("toTerminalSpecs", function () {
    it("refuses an empty bus instead of reading it as bus 0", function () {
      expect(() => toTerminalSpecs([row(1, { bus: "" })], "t.csv")).to.throw('t.csv:3 field "bus": empty');
    });
    it("reads a missing bus as 0 and a numeric text bus as its number", function () {
      const [a, b] = toTerminalSpecs([row(1, { bus: undefined }), row(2, { bus: "17" })], "t.csv");
      expect([a.location.bus, b.location.bus]).to.deep.equal([0, 17]);
    });
    it("counts a grid label's UTF-8 bytes, not its characters", function () {
      expect(toTerminalSpecs([row(1, { grid: "é".repeat(15) })], "t.json")).to.have.length(1);
      expect(() => toTerminalSpecs([row(1, { grid: "é".repeat(16) })], "t.json")).to.throw(
        't.json:3 field "grid": "éééééééééééééééé" is 32 bytes in UTF-8: a grid label holds at most 31',
      );
    });
    it("says how many hex digits a short signer has", function () {
      expect(() => toTerminalSpecs([row(1, { signer: "0x1234" })], "t.json")).to.throw(
        '"0x1234" is not an address: expected 0x and 40 hex digits, got 4',
      );
    });
    it("refuses one signer for two terminals", function () {
      expect(() => toTerminalSpecs([row(1), row(2, { signer: signer(1) })], "t.json")).to.throw(
        `t.json:4 field "signer": ${signer(1)} is already the signer of line 3`,
      );
    });
    it("reports every bad row at once", function () {
      expect(() => toTerminalSpecs([row(1, { bus: "" }), row(2), row(3, { kind: "Toaster" })], "t.csv")).to.throw(
        /^2 bad rows, nothing registered: t\.csv:3 field "bus": empty.*; t\.csv:5 field "kind": unknown kind "Toaster"/,
      );
    });
  });

  describe("registerTerminals", function () {
    it("lists exactly what was registered when a later transaction fails", async function () {
      const specs = toTerminalSpecs(
        Array.from({ length: REGISTRATIONS_PER_TX + 1 }, (_, i) => row(i)),
        "t.json",
      );
      let sent = 0;
      const multicall = Object.assign(
        async () => ({ hash: `0x${String(++sent).padStart(64, "0")}`, wait: async () => ({ status: 1 }) }),
        {
          // Packed registry reads: every terminal unregistered, every signer free.
          staticCall: async (data: string[]) => data,
          // The sends' preflights: the second one fails while the first transaction is still in flight.
          estimateGas: async () => {
            if (sent === 1) throw new Error("out of gas");
            return 1n;
          },
        },
      );
      const core = registryWith(multicall);
      const error = await registerTerminals(core, specs, "t.json").then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(
        new RegExp(
          `Registered before the failure: ${REGISTRATIONS_PER_TX} of ${REGISTRATIONS_PER_TX + 1} \\(unit\\.bus0\\.pmu \\(t\\.json:2\\), .*unit\\.bus39\\.pmu \\(t\\.json:41\\)\\); the rest were not\\. Running the same command again skips them and continues$`,
        ),
      );
    });

    it("executes each registration transaction once before sending it, and keeps several in flight", async function () {
      const n = REGISTRATIONS_IN_FLIGHT + 2;
      const specs = toTerminalSpecs(
        Array.from({ length: n * REGISTRATIONS_PER_TX }, (_, i) => row(i)),
        "t.json",
      );
      const preflights: string[] = [];
      const sends: { gasLimit?: bigint; confirmedBefore: number }[] = [];
      let confirmed = 0;
      const multicall = Object.assign(
        async (_data: string[], overrides: { gasLimit?: bigint } = {}) => {
          sends.push({ gasLimit: overrides.gasLimit, confirmedBefore: confirmed });
          const hash = `0x${String(sends.length).padStart(64, "0")}`;
          return { hash, wait: async () => (confirmed++, { status: 1 }) };
        },
        {
          staticCall: async (data: string[]) => {
            if (!data[0].startsWith("view:")) preflights.push("staticCall");
            return data;
          },
          estimateGas: async (data: string[]) => {
            preflights.push("estimateGas");
            return BigInt(1000 * data.length);
          },
        },
      );
      const core = registryWith(multicall);
      const report = await registerTerminals(core, specs, "t.json");
      expect(report.registered).to.have.length(specs.length);
      expect(report.txHashes).to.have.length(n);
      // One estimate per transaction, no simulation besides it, and the send reuses the estimate.
      expect(preflights).to.deep.equal(Array(n).fill("estimateGas"));
      expect(sends.map((s) => s.gasLimit)).to.deep.equal(Array(n).fill(BigInt(1000 * REGISTRATIONS_PER_TX)));
      // The first REGISTRATIONS_IN_FLIGHT are sent before any receipt is awaited.
      expect(sends.map((s) => s.confirmedBefore)).to.deep.equal([
        ...Array(REGISTRATIONS_IN_FLIGHT).fill(0),
        ...Array.from({ length: n - REGISTRATIONS_IN_FLIGHT }, (_, i) => i + 1),
      ]);
    });
  });

  describe("task options", function () {
    it("refuses a data type the contracts cannot hold", function () {
      expect(dataTypeOption(65535)).to.equal(65535);
      expect(() => dataTypeOption(70000)).to.throw("--type 70000 is not a data type");
      expect(() => dataTypeOption(-1)).to.throw("--type -1 is not a data type");
    });
    it("refuses a short or non-hex address", function () {
      expect(() => addressOption("0x1234", "--signer")).to.throw(
        "--signer 0x1234 is not an address: expected 0x and 40 hex digits, got 4",
      );
      expect(() => addressOption("alice", "--signer")).to.throw("--signer alice is not an address");
    });
    it("refuses an output path in a missing folder or that is a folder", function () {
      const dir = scratchDir("options");
      mkdirSync(join(dir, "sub"));
      expect(writableFileOption(join(dir, "sub", "a.json"))).to.equal(join(dir, "sub", "a.json"));
      expect(() => writableFileOption(join(dir, "nope", "a.json"))).to.throw("does not exist (create it first)");
      expect(() => writableFileOption(join(dir, "sub"))).to.throw("is a folder: give a file path");
    });
  });
});
