import { expect } from "chai";
import hre from "hardhat";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { JsonRpcProvider } from "ethers";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { deployCore } from "../../src/chain/deploy.node";
import {
  devTerminalWallet,
  GridLedgerClient,
  RecordKind,
  toTerminalId,
  type AnchorBatchResult,
  type GridRecord,
} from "../../src/sdk";
import { futureWindow, mineAt, scratchDir } from "../helpers/scenario";

const ROOT = hre.config.paths.root;
const CHROMIUM = "/usr/bin/chromium";
/** STACK.md "Browser tests": what headless Chromium needs here (no sandbox, GPU or background traffic). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--headless",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];
const SCREENSHOTS = join(ROOT, "out", "web");
const TERMINAL = "web.ieee39.bus5.pmu";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** GET /v1/records/:id answers of a gateway, by record id (the shape grid:serve answers; see test/e2e/gateway*). */
const gatewayRecords = new Map<string, unknown>();

/**
 * A static server on 127.0.0.1 (random port) for the built page, with the deployments folder beside it, and
 * under /gateway/ the record look-up of a gateway.
 */
function serve(site: string, deployments: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (path.startsWith("/gateway/v1/records/")) {
      const answer = gatewayRecords.get(path.slice("/gateway/v1/records/".length));
      res.writeHead(answer ? 200 : 404, { "content-type": "application/json", "access-control-allow-origin": "*" });
      res.end(JSON.stringify(answer ?? { reason: "NOT_FOUND", detail: "no such record" }));
      return;
    }
    const file = path.startsWith("/deployments/")
      ? join(deployments, path.slice("/deployments/".length))
      : join(site, path === "/" ? "index.html" : path);
    if (path.includes("..") || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }),
    ),
  );
}

function readings(windowStart: number, n: number, offset = 0): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId: toTerminalId(TERMINAL),
    kind: RecordKind.Reading,
    timestamp: windowStart + 75 * i,
    payload: {
      voltage_kv: Number((345.2 + i / 10).toFixed(1)),
      current_a: 812 - i - offset,
      frequency_hz: 50.01,
      p_mw: 485.5 + i + offset,
    },
  }));
}

async function verdictOf(page: Page): Promise<string> {
  const verdict = page.locator("#verdict:not([hidden])");
  await verdict.waitFor();
  return (await verdict.getAttribute("data-verdict")) ?? "";
}

describe("web verifier page (headless Chromium)", function () {
  this.timeout(300_000);
  let anvil: AnvilHandle;
  let client: GridLedgerClient;
  let first: AnchorBatchResult;
  let windowStart: number;
  let site: { server: Server; url: string };
  let browser: BrowserContext;
  let page: Page;

  before(async function () {
    anvil = await startAnvil();
    const provider = new JsonRpcProvider(anvil.url, undefined, { pollingInterval: 100 });
    const signer = await provider.getSigner(0);
    const deployments = scratchDir("web-deployments");
    const { deployment } = await deployCore({ signer, network: "anvil", dir: deployments });
    client = await GridLedgerClient.fromDeployment(signer, deployment);
    await client.registerTerminals([
      { id: TERMINAL, kind: "PMU", grid: "ieee39", bus: 5 },
      { id: "web.ieee39.bus13.ttu", kind: "TTU", grid: "ieee39", bus: 13, geohash: "wsqqm" },
      { id: "web.ieee39.bus21.meter", kind: "SmartMeter", grid: "ieee39", bus: 21 },
    ]);
    // provider.send, not getBlock: ethers caches getBlock("latest") for 250 ms, and anchoring reads it next.
    const latest = (await provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    windowStart = futureWindow(Number(latest.timestamp));
    await mineAt((m, p) => provider.send(m, p), windowStart + 900 + 5);
    first = await client.anchorBatch({
      records: readings(windowStart, 12),
      terminal: TERMINAL,
      dataType: 1,
      key: devTerminalWallet(toTerminalId(TERMINAL)),
    });

    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a native import() that stays one whatever the compiler settings
    const { build } = await (new Function("s", "return import(s)")("vite") as Promise<typeof import("vite")>);
    const out = scratchDir("web-dist");
    await build({
      configFile: join(ROOT, "web", "vite.config.ts"),
      logLevel: "silent",
      build: { outDir: out, emptyOutDir: true },
    });
    site = await serve(out, deployments);

    browser = await chromium.launchPersistentContext(scratchDir("chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 1000 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("pageerror", (e) => console.error("page error:", e.message));
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    site?.server.close();
    await anvil?.stop();
  });

  it("connects over JSON-RPC, finds the deployment and lists terminals and batches", async function () {
    await page.goto(`${site.url}?rpc=${encodeURIComponent(anvil.url)}`);
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator('#batches tbody tr[data-batch-id="1"]').waitFor();
    expect(await page.locator("#terminals tbody tr").count()).to.equal(3);
    expect(await page.locator("#fact-deployment").textContent()).to.equal("anvil-31337");
    const row = page.locator('#batches tbody tr[data-batch-id="1"]');
    expect(await row.locator("td").nth(1).textContent()).to.contain("PMU · ieee39 · bus 5");
    expect(await row.locator("td").nth(3).textContent()).to.equal("12");
    expect(await row.locator("td").nth(6).locator(".hash").getAttribute("title")).to.contain(first.txHash!);
  });

  it("shows a batch anchored while the page is open", async function () {
    const second = await client.anchorBatch({
      records: readings(windowStart, 6, 40),
      terminal: TERMINAL,
      dataType: 1,
      key: devTerminalWallet(toTerminalId(TERMINAL)),
    });
    const row = page.locator('#batches tbody tr[data-batch-id="2"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute("class")).to.contain("fresh");
    expect(await row.locator("td").nth(2).textContent()).to.equal("2");
    expect(await row.locator("td").nth(6).locator(".hash").getAttribute("title")).to.contain(second.txHash!);
    expect(await page.locator("#batch-count").textContent()).to.equal("2");
  });

  it("shows a terminal registered while the page is open", async function () {
    await client.registerTerminals([{ id: "web.ieee39.bus26.ftu", kind: "FTU", grid: "ieee39", bus: 26 }]);
    await page.locator("#terminals tbody tr").nth(3).waitFor({ timeout: 10_000 });
    expect(await page.locator("#terminals tbody tr").nth(3).locator("td").nth(1).textContent()).to.equal("FTU");
    expect(await page.locator("#terminal-count").textContent()).to.equal("4");
  });

  it("verifies a dropped record and its proofs file: anchored, with batch, terminal, tx and block", async function () {
    const record = first.proofs.proofs[4].record;
    await page.setInputFiles("#files", [
      { name: "record.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(record)) },
      { name: "bus5.proofs.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(first.proofs)) },
    ]);
    await page.locator("#loaded", { hasText: "batch proofs, 12 records" }).waitFor();
    await page.click("#verify");
    expect(await verdictOf(page)).to.equal("anchored");
    const verdict = page.locator("#verdict");
    expect(await verdict.locator(".verdict-title").textContent()).to.equal("Anchored");
    const facts = await verdict.locator(".verdict-facts").innerText();
    expect(facts).to.contain(`#${first.batchId} · sequence 1 · 12 records`);
    expect(facts).to.contain("PMU · ieee39 · bus 5");
    expect(facts).to.contain(first.blockNumber.toLocaleString("en-US"));
    expect(await verdict.locator(".hash").nth(1).getAttribute("title")).to.contain(first.txHash!);
    await page.screenshot({ path: join(SCREENSHOTS, "verifier-anchored.png"), fullPage: true });
    // What the screenshot shows: the green verdict next to both tables.
    expect(await page.locator(".verdict-ok").isVisible()).to.equal(true);
    expect(await page.locator("#batches tbody tr").count()).to.equal(2);
  });

  it("flags a tampered record and shows which value changed", async function () {
    await page.selectOption("#pick-record", { index: 8 });
    const picked = JSON.parse(await page.inputValue("#record-input")) as GridRecord;
    expect(picked).to.deep.equal(first.proofs.proofs[7].record);
    await page.fill(
      "#record-input",
      JSON.stringify({ ...picked, payload: { ...picked.payload, p_mw: 512.25 } }, null, 2),
    );
    await page.click("#verify");
    await page.locator('#verdict[data-verdict="tampered"]').waitFor();
    const verdict = page.locator("#verdict");
    expect(await verdict.locator(".verdict-title").textContent()).to.equal("Tampered");
    const changed = verdict.locator("table.diff tr.changed");
    expect(await changed.count()).to.equal(1);
    expect(await changed.locator("td").allTextContents()).to.deep.equal([
      "p_mw",
      JSON.stringify(picked.payload.p_mw),
      "512.25",
      "changed",
    ]);
    await page.screenshot({ path: join(SCREENSHOTS, "verifier-tampered.png"), fullPage: true });
    expect(await page.locator(".verdict-bad").isVisible()).to.equal(true);
    expect(await page.locator(".verdict-ok").count()).to.equal(0);
  });

  it("verifies a single pasted proof entry", async function () {
    await page.click("#clear");
    await page.fill("#proofs-input", JSON.stringify(first.proofs.proofs[0], null, 2));
    await page.click("#verify");
    await page.locator('#verdict[data-verdict="anchored"]').waitFor();
    const entry = structuredClone(first.proofs.proofs[0]);
    entry.record.payload.current_a = 1;
    await page.fill("#proofs-input", JSON.stringify(entry));
    await page.click("#verify");
    await page.locator('#verdict[data-verdict="tampered"]').waitFor();
  });

  it("looks a record up by id through a gateway, then verifies its proof on chain itself", async function () {
    const proof = first.proofs.proofs[3];
    gatewayRecords.set("p7/web.pmu/r3", {
      recordId: "p7/web.pmu/r3",
      status: "anchored",
      reason: null,
      detail: null,
      record: proof.record,
      proof,
      batch: { batchId: Number(first.batchId), root: first.proofs.root },
    });
    gatewayRecords.set("p7/web.pmu/r9", {
      recordId: "p7/web.pmu/r9",
      status: "quarantined",
      reason: "STUCK",
      detail: "the same value for 3 readings",
      record: proof.record,
      proof: null,
    });
    await page.click("#clear");
    await page.fill("#gateway-url", `${site.url}gateway`);
    await page.fill("#lookup-id", "p7/web.pmu/r3");
    await page.click("#lookup");
    await page.locator("#lookup-note", { hasText: "press Verify" }).waitFor();
    expect(JSON.parse(await page.inputValue("#record-input"))).to.deep.equal(proof.record);
    await page.click("#verify");
    await page.locator('#verdict[data-verdict="anchored"]').waitFor();

    await page.fill("#lookup-id", "p7/web.pmu/r9");
    await page.click("#lookup");
    await page.locator("#lookup-note", { hasText: "quarantined by the gateway (STUCK" }).waitFor();
    expect(await page.inputValue("#proofs-input")).to.equal("");
    await page.fill("#lookup-id", "p0/none");
    await page.click("#lookup");
    await page.locator("#lookup-note", { hasText: "the gateway has no record p0/none" }).waitFor();
  });

  it("connects through an injected wallet (EIP-1193) when there is one", async function () {
    const walletPage = await browser.newPage();
    // A minimal injected provider that forwards requests to the node, as a wallet extension would.
    await walletPage.addInitScript((url: string) => {
      let id = 0;
      (window as unknown as { ethereum: unknown }).ethereum = {
        request: async ({ method, params }: { method: string; params?: unknown[] }) => {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }),
          });
          const body = await res.json();
          if (body.error) throw Object.assign(new Error(body.error.message), body.error);
          return body.result;
        },
      };
    }, anvil.url);
    await walletPage.goto(site.url);
    await walletPage.click("#connect-wallet");
    await walletPage.locator('#status[data-state="connected"]').waitFor();
    expect(await walletPage.locator("#fact-chain").textContent()).to.equal("31337 · browser wallet");
    await walletPage.locator('#batches tbody tr[data-batch-id="2"]').waitFor();
    await walletPage.close();
  });

  it("explains a deployments file it cannot read", async function () {
    const other = await browser.newPage();
    // As when the file is moved or changed after it was picked: reading it rejects.
    await other.addInitScript(() => {
      File.prototype.text = () => Promise.reject(new Error("the file changed after it was picked"));
    });
    await other.goto(site.url);
    await other.setInputFiles("#deployment-file", {
      name: "deployments.json",
      mimeType: "application/json",
      buffer: Buffer.from("{}"),
    });
    await other.locator("#connect-error:not([hidden])").waitFor({ state: "attached", timeout: 10_000 });
    expect(await other.locator("#connect-error").textContent()).to.equal(
      "cannot read deployments.json: the file changed after it was picked",
    );
    await other.close();
  });

  it("explains an unreachable node", async function () {
    const other = await browser.newPage();
    await other.goto(`${site.url}?rpc=${encodeURIComponent("http://127.0.0.1:9")}`);
    await other.locator('#status[data-state="error"]').waitFor();
    expect(await other.locator("#connect-error").textContent()).to.match(/cannot reach http:\/\/127\.0\.0\.1:9/);
    await other.close();
  });
});
