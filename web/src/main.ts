/**
 * GridLedger record verifier: connects to a node over JSON-RPC (or a browser wallet), lists terminals and
 * anchored batches live, and checks records against their proofs and the chain. Everything goes through the
 * SDK's browser entry.
 */
import { BrowserProvider, JsonRpcProvider, ZeroHash, type Eip1193Provider, type Provider } from "ethers";
import {
  GridLedgerClient,
  parseDeployment,
  type AnchoredBatch,
  type Deployment,
  type GridRecord,
  type RecordVerification,
  type TerminalRow,
  type Unsubscribe,
} from "../../src/sdk";
import { el, hashCell, show, shortHex, utc, utcWindow } from "./format";
import { classify, parseJson } from "./inputs";

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  status: $<HTMLDivElement>("status"),
  statusText: $<HTMLSpanElement>("status-text"),
  form: $<HTMLFormElement>("connect-form"),
  rpcUrl: $<HTMLInputElement>("rpc-url"),
  deploymentName: $<HTMLSelectElement>("deployment-name"),
  connectWallet: $<HTMLButtonElement>("connect-wallet"),
  manual: $<HTMLDetailsElement>("manual"),
  addrRegistry: $<HTMLInputElement>("addr-registry"),
  addrAcquisition: $<HTMLInputElement>("addr-acquisition"),
  deploymentFile: $<HTMLInputElement>("deployment-file"),
  connectError: $<HTMLParagraphElement>("connect-error"),
  facts: $<HTMLDListElement>("chain-facts"),
  factChain: $<HTMLElement>("fact-chain"),
  factBlock: $<HTMLElement>("fact-block"),
  factRegistry: $<HTMLElement>("fact-registry"),
  factAcquisition: $<HTMLElement>("fact-acquisition"),
  factDeployment: $<HTMLElement>("fact-deployment"),
  dropzone: $<HTMLDivElement>("dropzone"),
  files: $<HTMLInputElement>("files"),
  loaded: $<HTMLParagraphElement>("loaded"),
  lookupForm: $<HTMLFormElement>("lookup-form"),
  gatewayUrl: $<HTMLInputElement>("gateway-url"),
  lookupId: $<HTMLInputElement>("lookup-id"),
  lookupNote: $<HTMLParagraphElement>("lookup-note"),
  pickWrap: $<HTMLLabelElement>("pick-wrap"),
  pick: $<HTMLSelectElement>("pick-record"),
  recordInput: $<HTMLTextAreaElement>("record-input"),
  proofsInput: $<HTMLTextAreaElement>("proofs-input"),
  verify: $<HTMLButtonElement>("verify"),
  clear: $<HTMLButtonElement>("clear"),
  verdict: $<HTMLDivElement>("verdict"),
  batchesBody: document.querySelector<HTMLTableSectionElement>("#batches tbody")!,
  batchesEmpty: $<HTMLParagraphElement>("batches-empty"),
  batchCount: $<HTMLSpanElement>("batch-count"),
  live: $<HTMLSpanElement>("live"),
  terminalsBody: document.querySelector<HTMLTableSectionElement>("#terminals tbody")!,
  terminalsEmpty: $<HTMLParagraphElement>("terminals-empty"),
  terminalCount: $<HTMLSpanElement>("terminal-count"),
};

const DEPLOYMENT_CANDIDATES = ["localhost", "anvil", "custom"];
const POLL_MS = 1000;

let client: GridLedgerClient | undefined;
let stopWatching: Unsubscribe | undefined;
let headTimer: ReturnType<typeof setInterval> | undefined;
let loadedDeployment: Deployment | undefined;
const batches = new Map<bigint, AnchoredBatch>();
const terminals = new Map<string, TerminalRow>();

// ------------------------------------------------------------------ connection

function setStatus(state: "idle" | "connecting" | "connected" | "error", text: string): void {
  ui.status.className = `status status-${state}`;
  ui.status.dataset.state = state;
  ui.statusText.textContent = text;
}

function showConnectError(message: string | undefined): void {
  ui.connectError.hidden = message === undefined;
  ui.connectError.textContent = message ?? "";
}

/** eth_chainId by plain fetch: a clear message when the node is down, instead of ethers retrying forever. */
async function rpcChainId(url: string): Promise<bigint> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
  } catch (e) {
    throw new Error(`cannot reach ${url}: is the node running (npx hardhat node, npm run node:anvil)?`, { cause: e });
  }
  const body = (await res.json()) as { result?: string; error?: { message: string } };
  if (!body.result) throw new Error(`${url} answered eth_chainId with ${body.error?.message ?? res.status}`);
  return BigInt(body.result);
}

/** The deployment to use: loaded from a file, typed in, or fetched from deployments/<name>-<chainId>.json. */
async function findDeployment(chainId: bigint): Promise<Deployment> {
  const choice = ui.deploymentName.value;
  if (choice === "manual") {
    if (loadedDeployment) return loadedDeployment;
    const registry = ui.addrRegistry.value.trim();
    const acquisition = ui.addrAcquisition.value.trim();
    const entry = (address: string) => ({ address, txHash: ZeroHash, blockNumber: 0, version: "" });
    return parseDeployment(
      {
        network: "manual",
        chainId: Number(chainId),
        deployer: "0x0000000000000000000000000000000000000000",
        updatedAt: new Date().toISOString(),
        contracts: { TerminalRegistry: entry(registry), DataAcquisition: entry(acquisition) },
      },
      "addresses",
    );
  }
  const names = choice === "auto" ? DEPLOYMENT_CANDIDATES : [choice];
  const tried: string[] = [];
  for (const name of names) {
    const file = `deployments/${name}-${chainId}.json`;
    tried.push(file);
    const res = await fetch(file).catch(() => undefined);
    if (!res?.ok) continue;
    const text = await res.text();
    // A dev server answers unknown paths with index.html.
    if (text.trimStart().startsWith("<")) continue;
    return parseDeployment(parseJson(text, file), file);
  }
  throw new Error(
    `no deployment found (${tried.join(", ")}): deploy with npx hardhat grid:deploy, or load the file under "Addresses and deployment file"`,
  );
}

async function connect(makeProvider: () => Promise<{ provider: Provider; chainId: bigint; label: string }>) {
  stopWatching?.();
  if (headTimer) clearInterval(headTimer);
  client = undefined;
  batches.clear();
  terminals.clear();
  renderBatches();
  renderTerminals();
  updateVerifyButton();
  showConnectError(undefined);
  setStatus("connecting", "Connecting…");
  try {
    const { provider, chainId, label } = await makeProvider();
    const deployment = await findDeployment(chainId);
    client = await GridLedgerClient.fromDeployment(provider, deployment);
    ui.facts.hidden = false;
    ui.factChain.textContent = `${chainId} · ${label}`;
    ui.factRegistry.replaceChildren(hashCell(deployment.contracts.TerminalRegistry!.address, 10, 8));
    ui.factAcquisition.replaceChildren(hashCell(deployment.contracts.DataAcquisition!.address, 10, 8));
    ui.factDeployment.textContent = `${deployment.network}-${deployment.chainId}`;
    setStatus("connected", `Connected · chain ${chainId}`);
    await refreshTerminals();
    await startLive(provider);
    updateVerifyButton();
  } catch (e) {
    client = undefined;
    setStatus("error", "Not connected");
    showConnectError((e as Error).message);
  }
}

async function startLive(provider: Provider): Promise<void> {
  const c = client!;
  const head = async () => {
    const n = await provider.getBlockNumber();
    ui.factBlock.textContent = n.toLocaleString("en-US");
    ui.statusText.textContent = `Connected · chain ${(await c.chainId()).toString()} · block ${n}`;
    // New registrations show up without waiting for their first batch.
    if (Number(await c.registry.terminalCount()) !== terminals.size) await refreshTerminals();
  };
  void head().catch(() => undefined);
  headTimer = setInterval(() => void head().catch(() => setStatus("error", "Node unreachable")), POLL_MS);
  // Batches up to this block are history; later ones arrive live and are highlighted.
  const startBlock = await provider.getBlockNumber();
  stopWatching = c.watchBatches(
    async (batch) => {
      if (!terminals.has(batch.terminalId.toLowerCase())) await refreshTerminals();
      batches.set(batch.batchId, batch);
      renderBatches(batch.blockNumber > startBlock ? batch.batchId : undefined);
    },
    { fromBlock: 0, pollIntervalMs: POLL_MS, onError: (e) => console.warn("watchBatches", e) },
  );
  ui.live.hidden = false;
}

async function refreshTerminals(): Promise<void> {
  if (!client) return;
  for (const t of await client.listTerminals()) terminals.set(t.terminalId.toLowerCase(), t);
  renderTerminals();
  renderBatches();
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = ui.rpcUrl.value.trim();
  void connect(async () => {
    const chainId = await rpcChainId(url);
    const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, pollingInterval: POLL_MS });
    return { provider, chainId, label: url };
  });
});

if (window.ethereum) {
  ui.connectWallet.hidden = false;
  ui.connectWallet.addEventListener("click", () => {
    void connect(async () => {
      const provider = new BrowserProvider(window.ethereum!);
      const { chainId } = await provider.getNetwork();
      return { provider, chainId, label: "browser wallet" };
    });
  });
}

ui.deploymentFile.addEventListener("change", () => {
  const file = ui.deploymentFile.files?.[0];
  if (file) {
    file.text().then(
      (text) => useDeploymentFile(text, file.name),
      (e: unknown) => showConnectError(`cannot read ${file.name}: ${(e as Error).message}`),
    );
  }
});

function useDeploymentFile(text: string, name: string): void {
  try {
    loadedDeployment = parseDeployment(parseJson(text, name), name);
    ui.addrRegistry.value = loadedDeployment.contracts.TerminalRegistry?.address ?? "";
    ui.addrAcquisition.value = loadedDeployment.contracts.DataAcquisition?.address ?? "";
    ui.deploymentName.value = "manual";
    ui.manual.open = true;
    showConnectError(undefined);
  } catch (e) {
    showConnectError((e as Error).message);
  }
}

for (const input of [ui.addrRegistry, ui.addrAcquisition]) {
  input.addEventListener("input", () => {
    loadedDeployment = undefined;
    ui.deploymentName.value = "manual";
  });
}

// ------------------------------------------------------------------ tables

function terminalLabel(terminalId: string): { title: string; detail: string } {
  const t = terminals.get(terminalId.toLowerCase());
  if (!t) return { title: shortHex(terminalId), detail: "unknown terminal" };
  const place = [t.grid, t.bus ? `bus ${t.bus}` : ""].filter(Boolean).join(" · ");
  return { title: `${t.kind}${place ? ` · ${place}` : ""}`, detail: shortHex(terminalId) };
}

function renderBatches(fresh?: bigint): void {
  const rows = [...batches.values()].sort((a, b) => (a.batchId < b.batchId ? 1 : -1));
  ui.batchesBody.replaceChildren(
    ...rows.map((b) => {
      const label = terminalLabel(b.terminalId);
      const tr = el("tr", { data: { batchId: b.batchId.toString() } }, [
        el("td", { className: "num strong", text: `#${b.batchId}` }),
        el("td", {}, [
          el("div", { text: label.title }),
          el("div", { className: "sub mono", text: label.detail, title: b.terminalId }),
        ]),
        el("td", { className: "num", text: b.sequence.toString() }),
        el("td", { className: "num", text: b.recordCount.toLocaleString("en-US") }),
        el("td", { className: "nowrap", text: utcWindow(b.windowStart, b.windowEnd) }),
        el("td", { className: "num", text: b.blockNumber.toLocaleString("en-US") }),
        el("td", {}, [hashCell(b.txHash)]),
      ]);
      if (b.batchId === fresh) tr.classList.add("fresh");
      return tr;
    }),
  );
  ui.batchCount.textContent = String(rows.length);
  ui.batchesEmpty.hidden = rows.length > 0;
}

function renderTerminals(): void {
  const rows = [...terminals.values()];
  ui.terminalsBody.replaceChildren(
    ...rows.map((t) =>
      el("tr", { data: { terminalId: t.terminalId } }, [
        el("td", {}, [hashCell(t.terminalId)]),
        el("td", { text: t.kind }),
        el("td", {}, [el("span", { className: `pill pill-${t.status.toLowerCase()}`, text: t.status })]),
        el("td", { text: [t.grid || "—", t.bus ? `bus ${t.bus}` : ""].filter(Boolean).join(" · ") }),
        el("td", {}, [hashCell(t.signer)]),
        el("td", { className: "nowrap", text: utc(t.registeredAt) }),
      ]),
    ),
  );
  ui.terminalCount.textContent = String(rows.length);
  ui.terminalsEmpty.hidden = rows.length > 0;
}

// ------------------------------------------------------------------ inputs

let pickable: GridRecord[] = [];

function updateVerifyButton(): void {
  ui.verify.disabled = !client || ui.proofsInput.value.trim() === "";
}

function usePickable(records: GridRecord[]): void {
  pickable = records;
  ui.pickWrap.hidden = records.length === 0;
  ui.pick.replaceChildren(
    el("option", { text: `— ${records.length} records: pick one to verify —`, data: { index: "" } }),
    ...records.map((r, i) => {
      const values = Object.entries(r.payload)
        .slice(0, 3)
        .map(([k, v]) => `${k} ${show(v)}`)
        .join(", ");
      return el("option", { text: `#${i + 1} · ${utc(r.timestamp)} · ${values}`, data: { index: String(i) } });
    }),
  );
}

ui.pick.addEventListener("change", () => {
  const index = ui.pick.selectedOptions[0]?.dataset.index;
  if (index) ui.recordInput.value = JSON.stringify(pickable[Number(index)], null, 2);
});

/** Puts a dropped or chosen document where it belongs, by its shape. */
function accept(text: string, name: string): string {
  const json = parseJson(text, name);
  switch (classify(json)) {
    case "record":
      ui.recordInput.value = JSON.stringify(json, null, 2);
      return `${name}: record`;
    case "record-proof":
      ui.proofsInput.value = JSON.stringify(json, null, 2);
      usePickable([]);
      return `${name}: record proof`;
    case "batch-proofs": {
      const proofs = (json as { proofs: { record: GridRecord }[] }).proofs;
      ui.proofsInput.value = JSON.stringify(json, null, 2);
      usePickable(proofs.map((p) => p.record));
      return `${name}: batch proofs, ${proofs.length} records`;
    }
    case "deployment":
      useDeploymentFile(text, name);
      return `${name}: deployment (connect again to use it)`;
    default:
      throw new Error(`${name} is neither a record, a proofs file nor a deployment`);
  }
}

async function acceptFiles(files: FileList | File[]): Promise<void> {
  const notes: string[] = [];
  for (const file of [...files]) {
    try {
      notes.push(accept(await file.text(), file.name));
    } catch (e) {
      notes.push((e as Error).message);
    }
  }
  ui.loaded.textContent = notes.join(" · ");
  updateVerifyButton();
}

ui.files.addEventListener("change", () => void acceptFiles(ui.files.files ?? []));
ui.dropzone.addEventListener("dragover", (e) => {
  e.preventDefault();
  ui.dropzone.classList.add("over");
});
ui.dropzone.addEventListener("dragleave", () => ui.dropzone.classList.remove("over"));
ui.dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  ui.dropzone.classList.remove("over");
  if (e.dataTransfer?.files.length) void acceptFiles(e.dataTransfer.files);
});
ui.proofsInput.addEventListener("input", () => {
  updateVerifyButton();
  try {
    const json = JSON.parse(ui.proofsInput.value) as unknown;
    if (classify(json) === "batch-proofs")
      usePickable((json as { proofs: { record: GridRecord }[] }).proofs.map((p) => p.record));
  } catch {
    // Still typing.
  }
});
ui.clear.addEventListener("click", () => {
  ui.recordInput.value = "";
  ui.proofsInput.value = "";
  ui.loaded.textContent = "";
  ui.verdict.hidden = true;
  ui.verdict.dataset.verdict = "none";
  usePickable([]);
  updateVerifyButton();
});

// ------------------------------------------------------------------ gateway lookup

/** What GET /v1/records/:id of a gateway answers (the fields the page uses). */
interface GatewayRecord {
  recordId: string;
  status: "pending" | "anchored" | "quarantined";
  reason: string | null;
  detail: string | null;
  record: GridRecord;
  proof: unknown;
  batch?: { batchId: number | null; root: string } | null;
}

/**
 * Fetches a record and its proof from a gateway, then leaves the check to this page: the proof is verified
 * against the chain the page is connected to, not taken on the gateway's word.
 */
async function lookUp(gateway: string, id: string): Promise<string> {
  const url = `${gateway.replace(/\/+$/, "")}/v1/records/${encodeURIComponent(id)}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot reach the gateway at ${gateway} (${(e as Error).message})`);
  }
  const body = (await res.json().catch(() => ({}))) as Partial<GatewayRecord> & { detail?: string };
  if (res.status === 404) throw new Error(`the gateway has no record ${id}`);
  if (!res.ok) throw new Error(`the gateway answered ${res.status}: ${body.detail ?? res.statusText}`);
  const r = body as GatewayRecord;
  ui.recordInput.value = JSON.stringify(r.record, null, 2);
  usePickable([]);
  if (r.status === "quarantined") {
    ui.proofsInput.value = "";
    return `${r.recordId}: quarantined by the gateway (${r.reason}: ${r.detail}); nothing to verify on chain`;
  }
  if (!r.proof) {
    ui.proofsInput.value = "";
    return `${r.recordId}: received, not anchored yet; look it up again after its period closes`;
  }
  ui.proofsInput.value = JSON.stringify(r.proof, null, 2);
  return `${r.recordId}: proof from the gateway (batch ${r.batch?.batchId ?? "?"}); press Verify to check it on chain`;
}

ui.lookupForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const id = ui.lookupId.value.trim();
  if (id === "") {
    ui.lookupNote.textContent = "enter a record id";
    return;
  }
  ui.lookupNote.textContent = "looking up…";
  lookUp(ui.gatewayUrl.value.trim(), id).then(
    (note) => {
      ui.lookupNote.textContent = note;
      updateVerifyButton();
    },
    (e: Error) => {
      ui.lookupNote.textContent = e.message;
    },
  );
});

// ------------------------------------------------------------------ verification

const VERDICTS: Record<RecordVerification["verdict"], { title: string; tone: "ok" | "bad" | "warn" }> = {
  anchored: { title: "Anchored", tone: "ok" },
  tampered: { title: "Tampered", tone: "bad" },
  rejected: { title: "Rejected by the contract", tone: "bad" },
  "invalid-proof": { title: "Invalid proof", tone: "bad" },
  "not-anchored": { title: "Not anchored on this chain", tone: "warn" },
  "not-found": { title: "No proof for this record", tone: "warn" },
  unsigned: { title: "Not signed by its terminal", tone: "bad" },
  "wrong-signer": { title: "Signed by the wrong key", tone: "bad" },
};

function summary(v: RecordVerification, record: GridRecord): string {
  switch (v.verdict) {
    case "anchored":
      return `The contract confirms this record is in batch #${v.batch?.batchId}, anchored in block ${v.batch?.blockNumber.toLocaleString("en-US")}, and signed by its own terminal.`;
    case "tampered": {
      const anchored = v.proof?.record.payload ?? {};
      const keys = [...new Set([...Object.keys(anchored), ...Object.keys(record.payload)])];
      const changed = keys.filter((k) => JSON.stringify(anchored[k]) !== JSON.stringify(record.payload[k]));
      const what = changed.length > 0 ? ` (${changed.join(", ")} changed)` : "";
      return `This record differs from the one anchored for this terminal at ${utc(record.timestamp)} UTC${what}. Do not trust it.`;
    }
    case "not-anchored":
      return "The proof is consistent, but its Merkle root was never anchored on this chain.";
    case "not-found":
      return "None of the proofs is for this record (a different terminal, kind or time).";
    default:
      return v.reason;
  }
}

function factRows(rows: [string, Node | string][]): HTMLDListElement {
  return el(
    "dl",
    { className: "facts verdict-facts" },
    rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", {}, [v])])),
  );
}

function diffTable(given: GridRecord, anchored: GridRecord): HTMLTableElement {
  const keys = [...new Set([...Object.keys(anchored.payload), ...Object.keys(given.payload)])];
  const rows = keys.map((k) => {
    const a = anchored.payload[k];
    const g = given.payload[k];
    const changed = JSON.stringify(a) !== JSON.stringify(g);
    return el("tr", { className: changed ? "changed" : "" }, [
      el("td", { className: "mono", text: k }),
      el("td", { className: "mono", text: show(a) }),
      el("td", { className: "mono", text: show(g) }),
      el("td", { text: changed ? "changed" : "" }),
    ]);
  });
  return el("table", { className: "diff" }, [
    el("thead", {}, [
      el("tr", {}, [
        el("th", { text: "Payload field" }),
        el("th", { text: "Anchored" }),
        el("th", { text: "This record" }),
        el("th", { text: "" }),
      ]),
    ]),
    el("tbody", {}, rows),
  ]);
}

function renderVerdict(v: RecordVerification, record: GridRecord): void {
  const meta = VERDICTS[v.verdict];
  const icon = meta.tone === "ok" ? "✓" : meta.tone === "bad" ? "✗" : "!";
  const children: Node[] = [
    el("div", { className: "verdict-head" }, [
      el("span", { className: "verdict-icon", text: icon }),
      el("div", {}, [
        el("div", { className: "verdict-title", text: meta.title }),
        el("div", { className: "verdict-summary", text: summary(v, record) }),
      ]),
    ]),
  ];
  const rows: [string, Node | string][] = [];
  const b = v.batch;
  if (b) {
    const label = terminalLabel(b.terminalId);
    rows.push(
      ["Batch", `#${b.batchId} · sequence ${b.sequence} · ${b.recordCount} records`],
      ["Terminal", el("span", {}, [`${label.title} `, hashCell(b.terminalId, 10, 8)])],
      ["Transaction", hashCell(b.txHash, 18, 16)],
      ["Block", b.blockNumber.toLocaleString("en-US")],
      ["Window (UTC)", utcWindow(b.windowStart, b.windowEnd)],
      ["Merkle root", hashCell(b.merkleRoot, 18, 16)],
    );
  }
  if (v.terminal && b && v.terminal.id.toLowerCase() !== b.terminalId.toLowerCase()) {
    rows.push(["Record terminal", `${v.terminal.kind} · ${v.terminal.status}`]);
  }
  if (v.verdict === "tampered" && v.proof) {
    const p = v.proof;
    const label = terminalLabel(record.terminalId);
    rows.push(
      ["Terminal", el("span", {}, [`${label.title} `, hashCell(record.terminalId, 10, 8)])],
      ["Anchored original", p.batch.batchId ? `batch #${p.batch.batchId}` : "in the proofs file"],
    );
    if (p.batch.txHash) rows.push(["Transaction", hashCell(p.batch.txHash, 18, 16)]);
    if (p.batch.blockNumber !== undefined) rows.push(["Block", p.batch.blockNumber.toLocaleString("en-US")]);
  }
  if (v.signature) {
    rows.push(["Package signer", hashCell(v.signature.signer, 10, 8)]);
    if (v.signature.signer !== v.signature.expected)
      rows.push(["Terminal's key then", hashCell(v.signature.expected, 10, 8)]);
  }
  rows.push(["Record time (UTC)", utc(record.timestamp)], ["Leaf hash", hashCell(v.leafHash, 18, 16)]);
  children.push(factRows(rows));
  if (v.verdict === "anchored") {
    children.push(
      el("p", {
        className: "checked",
        text: "Checked on-chain: DataAcquisition.verifySignedRecord(root, proof, leaf, package, packageProof, signature) returned true: the record is in the batch and its terminal signed it with the key it held at the record's time.",
      }),
    );
  }
  if (v.verdict === "tampered" && v.proof) children.push(diffTable(record, v.proof.record));
  if (v.verdict !== "anchored" && v.verdict !== "tampered")
    children.push(el("p", { className: "reason mono", text: v.reason }));
  ui.verdict.className = `verdict verdict-${meta.tone}`;
  ui.verdict.dataset.verdict = v.verdict;
  ui.verdict.replaceChildren(...children);
  ui.verdict.hidden = false;
  ui.verdict.scrollIntoView({ block: "nearest" });
}

function renderVerifyError(message: string): void {
  ui.verdict.className = "verdict verdict-warn";
  ui.verdict.dataset.verdict = "error";
  ui.verdict.replaceChildren(
    el("div", { className: "verdict-head" }, [
      el("span", { className: "verdict-icon", text: "!" }),
      el("div", {}, [
        el("div", { className: "verdict-title", text: "Cannot check this input" }),
        el("div", { className: "verdict-summary", text: message }),
      ]),
    ]),
  );
  ui.verdict.hidden = false;
}

// verify() reports every failure on the page itself, so nothing is left to handle here.
ui.verify.addEventListener("click", () => void verify());

async function verify(): Promise<void> {
  if (!client) return;
  ui.verify.disabled = true;
  ui.verify.textContent = "Verifying…";
  try {
    const proofs = parseJson(ui.proofsInput.value, "the proofs");
    const recordText = ui.recordInput.value.trim();
    let record: GridRecord;
    let result: RecordVerification;
    if (recordText === "") {
      if (classify(proofs) !== "record-proof") {
        throw new Error("paste or drop the record to check, or pick one from the proofs file");
      }
      record = (proofs as { record: GridRecord }).record;
      result = await client.verifyProofEntry(proofs);
    } else {
      record = parseJson(recordText, "the record") as GridRecord;
      result = await client.verifyRecord(record, proofs);
    }
    renderVerdict(result, record);
  } catch (e) {
    renderVerifyError((e as Error).message);
  } finally {
    ui.verify.textContent = "Verify on chain";
    updateVerifyButton();
  }
}

ui.recordInput.addEventListener("input", updateVerifyButton);

// ------------------------------------------------------------------ start

const params = new URLSearchParams(location.search);
if (params.get("rpc")) ui.rpcUrl.value = params.get("rpc")!;
if (params.get("deployment")) ui.deploymentName.value = params.get("deployment")!;
if (params.get("gateway")) ui.gatewayUrl.value = params.get("gateway")!;
if (params.has("rpc") || params.get("connect") === "1") ui.form.requestSubmit();
