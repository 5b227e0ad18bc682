import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet, computeAddress, encryptKeystoreJsonSync, keccak256, toUtf8Bytes } from "ethers";
import { TerminalStatus } from "../../src/chain/types";
import {
  candidateZoneElection,
  checkZoneGenerators,
  loadZoneGenerators,
  readZoneGenerators,
  type RegisteredTerminal,
  type RegistryReader,
  type ZoneGenerator,
} from "../../src/gateway/zoneGenerators";
import { planZones, type ZonePlan } from "../../src/pipeline/stages/zones";
import { encodeGridId } from "../../src/pipeline/stages/setup";
import { scenarioModel } from "../helpers/gridCases";
import { scratchDir } from "../helpers/scenario";

const GRID = encodeGridId("ieee14");
const id = (name: string) => keccak256(toUtf8Bytes(name));
const wallets = [0, 1, 2].map((i) => new Wallet(keccak256(toUtf8Bytes(`zone-generator-key-${i}`))));
const PLAN: ZonePlan = { requested: 2, k: 2, tried: [], buses: [1, 2, 3, 4], busZone: [0, 0, 1, 1] };
const noSecrets = { var: () => undefined, env: () => undefined };

/** A registry holding `entries` (anything else is unregistered); `reads` counts its calls. */
function registry(entries: Record<string, { signer: string; status: number; bus: number; gridId?: string }>) {
  const entryOf = (terminalId: string) => {
    const e = entries[terminalId.toLowerCase()];
    if (!e) return { signer: `0x${"00".repeat(20)}`, status: 0, location: { gridId: `0x${"00".repeat(32)}`, bus: 0 } };
    return { signer: e.signer, status: e.status, location: { gridId: e.gridId ?? GRID, bus: e.bus } };
  };
  const reader: RegistryReader & { reads: number } = {
    reads: 0,
    getAddress: async () => "0x00000000000000000000000000000000000000aa",
    readTerminals: async (terminalIds) => {
      reader.reads++;
      return terminalIds.map(entryOf);
    },
  };
  return reader;
}

const generator = (zone: number, name: string, wallet: Wallet): ZoneGenerator => ({
  zone,
  terminalId: id(name),
  key: wallet.signingKey,
  keySource: `env Z${zone}`,
});

describe("zone generators (grid:serve --zone-generators)", function () {
  const dir = scratchDir("zone-generators");
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    return path;
  };

  describe("readZoneGenerators", function () {
    it("refuses a private key written in the file, naming the entry", function () {
      const path = file("clear.json", {
        generators: [{ zone: 0, terminal: id("g0"), key: wallets[0].privateKey }],
      });
      expect(() => readZoneGenerators(path)).to.throw(/generators\[0\]: a private key in the file is refused/);
      const other = file("clear2.json", {
        generators: [{ zone: 0, terminal: id("g0"), key: { env: "K" }, privateKey: wallets[0].privateKey }],
      });
      expect(() => readZoneGenerators(other)).to.throw(/generators\[0\]: a private key in the file is refused/);
    });

    it("refuses a zone named twice and a terminal serving two zones", function () {
      const twice = file("twice.json", {
        generators: [
          { zone: 0, terminal: id("g0"), key: { env: "A" } },
          { zone: 0, terminal: id("g1"), key: { env: "B" } },
        ],
      });
      expect(() => readZoneGenerators(twice)).to.throw(/zone 0 is named twice \(generators\[0\] and \[1\]\)/);
      const shared = file("shared.json", {
        generators: [
          { zone: 0, terminal: id("g0"), key: { env: "A" } },
          { zone: 1, terminal: id("g0"), key: { env: "B" } },
        ],
      });
      expect(() => readZoneGenerators(shared)).to.throw(/generates for zones 0 and 1/);
    });

    it("points at malformed fields and unreadable JSON", function () {
      const bad = file("bad.json", { generators: [{ zone: -1, terminal: "0x12", key: { env: "A" } }] });
      expect(() => readZoneGenerators(bad)).to.throw(/generators\[0\]\.zone.*generators\[0\]\.terminal/);
      expect(() => readZoneGenerators(file("broken.json", "{"))).to.throw(/broken\.json: .*JSON/);
      const keystore = file("ks.json", {
        generators: [{ zone: 0, terminal: id("g0"), key: { keystore: "k.json" } }],
      });
      expect(() => readZoneGenerators(keystore)).to.throw(/zone 0: a keystore needs exactly one of passwordVar/);
    });
  });

  describe("candidates (several generators per zone)", function () {
    it("reads the candidates format next to the single-generator one", function () {
      const path = file("candidates.json", {
        generators: [
          {
            zone: 0,
            candidates: [
              { terminal: id("c0a"), key: { env: "C0A" } },
              { terminal: id("c0b"), key: { env: "C0B" } },
            ],
          },
          { zone: 1, terminal: id("c1"), key: { env: "C1" } },
        ],
      });
      const env: Record<string, string> = { C0B: wallets[1].privateKey, C1: wallets[2].privateKey };
      const skipped: string[] = [];
      const loaded = loadZoneGenerators(
        readZoneGenerators(path),
        path,
        { var: () => undefined, env: (n) => env[n] },
        (line) => skipped.push(line),
      );
      expect(loaded.map((g) => [g.zone, g.terminalId])).to.deep.equal([
        [0, id("c0b")],
        [1, id("c1")],
      ]);
      expect(skipped).to.deep.equal([
        `--zone-generators ${path}: zone 0 (terminal ${id("c0a")}): environment variable C0A is not set: candidate skipped`,
      ]);
    });

    it("fails when a zone has no candidate with a key, naming each candidate", function () {
      const path = file("nokeys.json", {
        generators: [
          {
            zone: 0,
            candidates: [
              { terminal: id("n0a"), key: { env: "N0A" } },
              { terminal: id("n0b"), key: { var: "N0B" } },
            ],
          },
        ],
      });
      expect(() => loadZoneGenerators(readZoneGenerators(path), path, noSecrets)).to.throw(
        new RegExp(
          `no key for some zones' generators:\\n  .*zone 0 \\(terminal ${id("n0a")}\\): environment variable N0A is not set\\n  .*zone 0 \\(terminal ${id("n0b")}\\): hardhat var N0B is not set`,
        ),
      );
    });

    it("refuses a candidate's key in clear and a terminal listed twice", function () {
      const clear = file("cand-clear.json", {
        generators: [{ zone: 0, candidates: [{ terminal: id("x"), key: wallets[0].privateKey }] }],
      });
      expect(() => readZoneGenerators(clear)).to.throw(
        /generators\[0\]\.candidates\[0\]: a private key in the file is refused/,
      );
      const twice = file("cand-twice.json", {
        generators: [
          {
            zone: 0,
            candidates: [
              { terminal: id("x"), key: { env: "A" } },
              { terminal: id("x"), key: { env: "B" } },
            ],
          },
        ],
      });
      expect(() => readZoneGenerators(twice)).to.throw(/zone 0 lists terminal .* twice/);
      const shared = file("cand-shared.json", {
        generators: [
          { zone: 0, candidates: [{ terminal: id("x"), key: { env: "A" } }] },
          { zone: 1, terminal: id("x"), key: { env: "B" } },
        ],
      });
      expect(() => readZoneGenerators(shared)).to.throw(/generates for zones 0 and 1/);
    });
  });

  describe("candidateZoneElection", function () {
    // IEEE 14 in two zones: zone 0 holds buses 1-5, 7, 8; QT-DR prefers bus 2 at low load and bus 3 near the peak.
    const model = scenarioModel("ieee14");
    const plan = planZones(model, 2);
    const candidates = [
      generator(0, "e0a", wallets[0]),
      generator(0, "e0b", wallets[1]),
      generator(1, "e1", wallets[2]),
    ];
    const buses = [2, 3, 6];
    const active = (): RegisteredTerminal[] =>
      candidates.map((c, i) => ({
        signer: computeAddress(c.key.publicKey),
        status: TerminalStatus.Active,
        location: { gridId: GRID, bus: buses[i] },
      }));

    it("elects by QT-DR's rule every period, so the zone's generator follows the load", async function () {
      expect(plan.busZone.slice(0, 6)).to.deep.equal([0, 0, 0, 0, 0, 1]);
      const lines: string[] = [];
      const elect = candidateZoneElection(candidates, {
        model,
        plan,
        gridId: GRID,
        registryAddress: "0xaa",
        readTerminals: async () => active(),
        log: (line) => lines.push(line),
      });
      const elected = [];
      for (const [period, load] of [0.4, 0.8, 0.4, 1].entries()) elected.push(await elect(period, 5, load));
      expect(elected.map((e) => e.zones!.map((z) => z.terminalId))).to.deep.equal([
        [id("e0a"), id("e1")],
        [id("e0b"), id("e1")],
        [id("e0a"), id("e1")],
        [id("e0b"), id("e1")],
      ]);
      const routing = JSON.parse(elected[1].routing) as {
        loadFactor: number;
        zones: { deadlineViolations: number; zones: { generator: number; candidates: { bus: number }[] }[] };
      };
      expect(routing.loadFactor).to.equal(0.8);
      expect(routing.zones.zones[0].generator).to.equal(3);
      expect(routing.zones.zones[0].candidates.map((c) => c.bus)).to.deep.equal([3, 2]);
      expect(lines).to.deep.equal([]);
    });

    it("skips a candidate the node would refuse, logs why once, and fails a zone left without one", async function () {
      const lines: string[] = [];
      let entries = active();
      const elect = candidateZoneElection(candidates, {
        model,
        plan,
        gridId: GRID,
        registryAddress: "0xaa",
        readTerminals: async () => entries,
        log: (line) => lines.push(line),
      });
      entries[0] = { ...entries[0], status: TerminalStatus.Suspended };
      for (const period of [0, 1]) expect((await elect(period, 5, 0.4)).zones![0].terminalId).to.equal(id("e0b"));
      expect(lines).to.deep.equal([
        `period 0: zone 0: generator terminal ${id("e0a")} is Suspended, not Active: candidate skipped`,
      ]);
      entries = active();
      entries[1] = { ...entries[1], signer: wallets[2].address };
      entries[0] = { ...entries[0], status: TerminalStatus.Revoked };
      // Caught by hand: plain mocha (`npm run test:unit`) has no chai-as-promised.
      const refused = await elect(2, 5, 0.4).then(
        () => expect.fail("expected the election to fail"),
        (e: Error) => e.message,
      );
      expect(refused).to.match(
        new RegExp(
          `period 2: no usable generator for zone 0 \\(zone 0: generator terminal ${id("e0a")} is Revoked, not Active; zone 0: generator terminal ${id("e0b")}: the key from env Z0 is ${wallets[1].address}, but the registry's current signer is ${wallets[2].address}`,
        ),
      );
      entries = active();
      expect((await elect(3, 5, 0.4)).zones![0].terminalId).to.equal(id("e0a"));
      expect(lines.at(-1)).to.equal(`period 3: zone 0: ${id("e0b")} usable again`);
    });
  });

  describe("loadZoneGenerators", function () {
    it("loads keys from hardhat vars, the environment and keystores", function () {
      writeFileSync(
        join(dir, "z2.keystore.json"),
        encryptKeystoreJsonSync({ address: wallets[2].address, privateKey: wallets[2].privateKey }, "pw", {
          scrypt: { N: 1 << 10 },
        }),
      );
      const path = file("ok.json", {
        generators: [
          { zone: 0, terminal: id("g0"), key: { var: "Z0" } },
          { zone: 1, terminal: id("g1"), key: { env: "Z1" } },
          { zone: 2, terminal: id("g2"), key: { keystore: "z2.keystore.json", passwordVar: "Z2PW" } },
        ],
      });
      const vars: Record<string, string> = { Z0: wallets[0].privateKey, Z2PW: "pw" };
      const loaded = loadZoneGenerators(readZoneGenerators(path), path, {
        var: (n) => vars[n],
        env: (n) => (n === "Z1" ? wallets[1].privateKey.slice(2) : undefined),
      });
      expect(loaded.map((g) => [g.zone, g.terminalId, g.key.privateKey])).to.deep.equal(
        wallets.map((w, i) => [i, id(`g${i}`), w.privateKey]),
      );
      expect(loaded.map((g) => g.keySource)).to.deep.equal([
        "hardhat var Z0",
        "environment variable Z1",
        join(dir, "z2.keystore.json"),
      ]);
    });

    it("says which zone's secret is missing, malformed or does not decrypt", function () {
      const path = file("missing.json", { generators: [{ zone: 3, terminal: id("g3"), key: { var: "Z3" } }] });
      expect(() => loadZoneGenerators(readZoneGenerators(path), path, noSecrets)).to.throw(
        new RegExp(`zone 3 \\(terminal ${id("g3")}\\): hardhat var Z3 is not set \\(npx hardhat vars set Z3\\)`),
      );
      const env = file("env.json", { generators: [{ zone: 1, terminal: id("g1"), key: { env: "Z1" } }] });
      expect(() =>
        loadZoneGenerators(readZoneGenerators(env), env, { var: () => undefined, env: () => "0x1234" }),
      ).to.throw(/zone 1 .*environment variable Z1 is not a 32-byte hex private key/);
      const ks = file("wrongpw.json", {
        generators: [{ zone: 2, terminal: id("g2"), key: { keystore: "z2.keystore.json", passwordEnv: "PW" } }],
      });
      expect(() =>
        loadZoneGenerators(readZoneGenerators(ks), ks, { var: () => undefined, env: () => "wrong" }),
      ).to.throw(/zone 2 .*cannot decrypt keystore/);
    });
  });

  describe("checkZoneGenerators", function () {
    it("returns the generators by zone with their registry buses when everything fits", async function () {
      const reg = registry({
        [id("g0")]: { signer: wallets[0].address, status: TerminalStatus.Active, bus: 2 },
        [id("g1")]: { signer: wallets[1].address, status: TerminalStatus.Active, bus: 4 },
      });
      const checked = await checkZoneGenerators(
        [generator(1, "g1", wallets[1]), generator(0, "g0", wallets[0])],
        PLAN,
        reg,
        GRID,
        "f.json",
      );
      expect(checked.map((g) => [g.zone, g.bus])).to.deep.equal([
        [0, 2],
        [1, 4],
      ]);
    });

    it("skips a zone's failing candidate with its reason while another candidate fits", async function () {
      const reg = registry({
        [id("g0")]: { signer: wallets[0].address, status: TerminalStatus.Revoked, bus: 2 },
        [id("g0b")]: { signer: wallets[2].address, status: TerminalStatus.Active, bus: 1 },
        [id("g1")]: { signer: wallets[1].address, status: TerminalStatus.Active, bus: 4 },
      });
      const skipped: string[] = [];
      const checked = await checkZoneGenerators(
        [generator(0, "g0", wallets[0]), generator(0, "g0b", wallets[2]), generator(1, "g1", wallets[1])],
        PLAN,
        reg,
        GRID,
        "f.json",
        (line) => skipped.push(line),
      );
      expect(checked.map((g) => [g.zone, g.terminalId])).to.deep.equal([
        [0, id("g0b")],
        [1, id("g1")],
      ]);
      expect(skipped).to.deep.equal([
        `zone 0: generator terminal ${id("g0")} is Revoked, not Active: candidate skipped`,
      ]); // Every candidate's entry in one packed read (was one read per candidate, each a round trip at start).
      expect(reg.reads).to.equal(1);
    });

    it("reports every problem at once, each naming its zone and terminal", async function () {
      const reg = registry({
        [id("g0")]: { signer: wallets[1].address, status: TerminalStatus.Suspended, bus: 3 },
        [id("g2")]: { signer: wallets[2].address, status: TerminalStatus.Active, bus: 1, gridId: encodeGridId("x") },
      });
      const error = await checkZoneGenerators(
        [generator(0, "g0", wallets[0]), generator(2, "g2", wallets[2]), generator(3, "g3", wallets[0])],
        PLAN,
        reg,
        GRID,
        "f.json",
      ).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).to.be.a("string");
      const lines = error!
        .split("\n")
        .slice(1)
        .map((l) => l.trim());
      expect(lines).to.deep.equal([
        "zone 1 has no generator (2 buses: 3, 4)",
        "zone 2 is not in the zone plan (zones 0-1)",
        "zone 3 is not in the zone plan (zones 0-1)",
        `zone 0: generator terminal ${id("g0")} is Suspended, not Active`,
        `zone 0: generator terminal ${id("g0")}: the key from env Z0 is ${wallets[0].address}, but the registry's current signer is ${wallets[1].address} (rotated? load the new key)`,
        `zone 0: generator terminal ${id("g0")} sits at bus 3, which is in zone 1`,
        `zone 2: generator terminal ${id("g2")} is registered on grid ${encodeGridId("x")}, not this case's ${GRID}`,
        `zone 3: generator terminal ${id("g3")} is not registered in TerminalRegistry 0x00000000000000000000000000000000000000aa`,
      ]);
    });
  });
});
