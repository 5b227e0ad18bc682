import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRlp, getAddress } from "ethers";
import { BESU_VERSION, generate, P2P_IPS, RPC_IPS, VALIDATORS } from "../../deploy/besu-qbft/generate";
import { EVM_VERSION } from "../../src/chain/evm";
import { parseRpcUrls } from "../../src/chain/endpoints";
import { scratchDir } from "../helpers/scenario";

const COMPOSE = readFileSync(join(__dirname, "../../deploy/besu-qbft/docker-compose.yml"), "utf8");

describe("deploy/besu-qbft", function () {
  const out = join(scratchDir("besu"), "network");
  const relayer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const { validators, rpcUrl } = generate({
    out,
    chainId: 2016,
    blockPeriodSeconds: 5,
    relayers: [relayer],
    seed: "test",
  });
  const genesis = JSON.parse(readFileSync(join(out, "genesis.json"), "utf8")) as {
    config: Record<string, unknown> & { qbft: { blockperiodseconds: number } };
    extraData: string;
    alloc: Record<string, unknown>;
  };

  describe("genesis generator", function () {
    it("writes a genesis whose QBFT extraData lists the 4 validators", function () {
      const [vanity, listed, votes, round, seals] = decodeRlp(genesis.extraData) as [string, string[], [], string, []];
      expect(vanity).to.equal(`0x${"00".repeat(32)}`);
      expect(listed.map((a) => getAddress(a))).to.deep.equal(validators.map((v) => v.address));
      expect(listed).to.have.length(VALIDATORS);
      expect([votes, round, seals]).to.deep.equal([[], "0x", []]);
    });

    it("sets the block period, a zero base fee and every fork up to the EVM version GridLedger builds for", function () {
      expect(genesis.config.qbft.blockperiodseconds).to.equal(5);
      expect(genesis.config.zeroBaseFee).to.equal(true);
      expect(EVM_VERSION).to.equal("cancun");
      expect(genesis.config).to.include({ shanghaiTime: 0, cancunTime: 0, londonBlock: 0 });
      expect(Object.keys(genesis.alloc)).to.deep.equal([relayer]);
    });

    it("gives each node its key, the static peers and an allowlist naming every validator and the relayer", function () {
      validators.forEach((v, i) => {
        const dir = join(out, v.name);
        expect(readFileSync(join(dir, "key"), "utf8")).to.equal(v.privateKey.slice(2));
        const statics = JSON.parse(readFileSync(join(dir, "static-nodes.json"), "utf8")) as string[];
        expect(statics).to.deep.equal(validators.map((w, j) => `enode://${w.publicKey}@${P2P_IPS[j]}:30303`));
        const config = readFileSync(join(dir, "config.toml"), "utf8");
        expect(config).to.contain(`rpc-http-host="${RPC_IPS[i]}"`).and.contain(`p2p-host="${P2P_IPS[i]}"`);
        expect(config).to.not.contain("0.0.0.0");
        const permissions = readFileSync(join(dir, "permissions_config.toml"), "utf8");
        for (const w of validators) expect(permissions).to.contain(w.enode).and.contain(w.address);
        expect(permissions).to.contain(relayer);
      });
    });

    it("writes the RPC_URL list of every node's private RPC address", function () {
      expect(parseRpcUrls(rpcUrl)).to.deep.equal(RPC_IPS.map((ip) => `http://${ip}:8545`));
      expect(readFileSync(join(out, "rpc-url"), "utf8").trim()).to.equal(rpcUrl);
    });
  });

  describe("docker-compose.yml", function () {
    it("pins the Besu version the generator was written for", function () {
      expect(COMPOSE).to.contain(`image: hyperledger/besu:${BESU_VERSION}`);
    });

    it("runs one service per generated validator, on the generator's addresses, with its config folder", function () {
      validators.forEach((v, i) => {
        expect(COMPOSE).to.match(new RegExp(`\\n  ${v.name}:\\n`));
        expect(COMPOSE).to.contain(`./network/${v.name}:/config`);
        expect(COMPOSE).to.contain(`ipv4_address: ${P2P_IPS[i]}`).and.contain(`ipv4_address: ${RPC_IPS[i]}`);
        expect(existsSync(join(out, v.name, "config.toml"))).to.equal(true);
      });
      expect(COMPOSE.match(/\n  validator\d+:\n/g)).to.have.length(VALIDATORS);
    });

    it("publishes no port on the host", function () {
      expect(COMPOSE).to.not.match(/^\s*ports:/m);
    });
  });
});
