import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import swagger from "@fastify/swagger";
import type { CoreContracts } from "../chain/contracts";
import { verifyRecordOnChain } from "../chain/verify";
import type { RecordProof } from "../merkle";
import type { ProofStore } from "./batchTrees";
import type { GatewayCore } from "./core";
import type { GatewayJournal } from "./inbox";
import type { GatewayMetrics } from "./metrics";
import { MAX_PACKAGE_BYTES, PackageRejected, REJECTION_STATUS, type RejectionReason } from "./wire";

const PACKAGES_ROUTE = "POST /v1/packages";
const JSON_TYPE = "application/json";

export interface HttpDeps {
  core: GatewayCore;
  journal: GatewayJournal;
  contracts: CoreContracts;
  /** Every anchored record's proof, from its batch's stored tree. */
  proofs: ProofStore;
  metrics: GatewayMetrics;
  /** What /v1/health reports of the broker. */
  broker: () => { mode: string; up: boolean; url: string | null };
  logger: boolean | object;
}

const rejectionSchema = {
  type: "object",
  properties: {
    reason: { type: "string", enum: Object.keys(REJECTION_STATUS) },
    detail: { type: "string" },
    packageId: { type: ["string", "null"], description: "the refused package's id, when it decoded that far" },
  },
  required: ["reason", "detail"],
} as const;

/**
 * The gateway's HTTP side: `POST /v1/packages` for terminals, and a public read-only API (records with proofs,
 * batches, terminals, quarantine, health), Prometheus `/metrics` and the OpenAPI document at `/docs/json`.
 */
export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger, bodyLimit: MAX_PACKAGE_BYTES * 2 });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "GridLedger gateway",
        version: "1.0.0",
        description:
          "Terminals POST signed packages; everything else is public and read-only. Admin actions stay Hardhat tasks.",
      },
    },
  });
  // Packages are checked from their raw bytes (size, JSON, schema) by the same code as MQTT payloads.
  app.addContentTypeParser(JSON_TYPE, { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.addHook("onRequest", async (_req, reply) => {
    reply.header("access-control-allow-origin", "*");
  });
  const { journal, core } = deps;
  const refuse = (reply: FastifyReply, e: PackageRejected) => {
    const status = REJECTION_STATUS[e.reason];
    if (status === 503) reply.header("retry-after", String(Math.ceil(core.policy.retryPauseMs / 1000) + 1));
    return reply.code(status).send({ reason: e.reason, detail: e.detail, packageId: e.packageId });
  };
  /** A refusal made before the core sees the package, journaled and counted like the core's own. */
  const refusal = async (reason: RejectionReason, detail: string) => {
    const e = new PackageRejected(reason, `${PACKAGES_ROUTE}: ${detail}`);
    await core.refused(e, "http");
    return e;
  };
  // Bodies fastify refuses before the handler (too large, a content type it has no parser for) get the same
  // {reason, detail} answer as any other refused package, not fastify's error shape.
  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    if (req.routeOptions.url !== "/v1/packages" || !error.code?.startsWith("FST_ERR_CTP_")) throw error;
    const tooLarge = error.code === "FST_ERR_CTP_BODY_TOO_LARGE";
    return refuse(
      reply,
      await refusal(
        tooLarge ? "TOO_LARGE" : "NOT_JSON",
        tooLarge
          ? `${req.headers["content-length"] ?? "too many"} bytes, more than the ${MAX_PACKAGE_BYTES} allowed`
          : `${error.message}: send the package as ${JSON_TYPE}`,
      ),
    );
  });

  app.post(
    "/v1/packages",
    {
      schema: {
        summary: "Submit a signed terminal package",
        description:
          "EIP-712 TerminalPackage {terminalId, periodStart, records, signature}. 202 once journaled (durable).",
        response: {
          202: {
            type: "object",
            properties: {
              packageId: { type: "string" },
              period: { type: "integer" },
              records: { type: "integer" },
              duplicate: { type: "boolean" },
            },
          },
          "4xx": rejectionSchema,
          503: rejectionSchema,
        },
      },
    },
    async (req, reply) => {
      try {
        // Only the application/json parser hands over raw bytes; fastify parsed anything else (text/plain).
        if (!Buffer.isBuffer(req.body))
          throw await refusal(
            "NOT_JSON",
            `content-type ${req.headers["content-type"]}: send the package as ${JSON_TYPE}`,
          );
        const a = await core.submit(req.body, "http", PACKAGES_ROUTE);
        return reply
          .code(202)
          .send({ packageId: a.packageId, period: a.period, records: a.records, duplicate: a.duplicate });
      } catch (e) {
        if (!(e instanceof PackageRejected)) throw e;
        return refuse(reply, e);
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/records/:id",
    {
      schema: { summary: "A record by id or leaf hash: its fate, batch, transaction, block, proof and on-chain check" },
    },
    async (req, reply) => {
      const r = journal.findRecord(req.params.id);
      if (!r) return reply.code(404).send({ reason: "NOT_FOUND", detail: `no record ${req.params.id}` });
      const batch = r.batchKey ? journal.batchByKey(r.batchKey) : undefined;
      const record = { terminalId: r.terminalId, kind: r.kind, timestamp: r.timestamp, payload: JSON.parse(r.payload) };
      let proof: RecordProof | undefined;
      let verification: { status: string; reason: string } = {
        status: r.status,
        reason: r.status === "quarantined" ? `${r.reason}: ${r.detail}` : "not anchored yet",
      };
      if (r.status === "anchored" && batch) {
        proof = deps.proofs.recordProof(r, batch);
        if (proof) {
          try {
            const v = await verifyRecordOnChain(deps.contracts, proof.record, [proof]);
            verification = { status: v.verdict, reason: v.reason };
          } catch (e) {
            verification = { status: "node-unavailable", reason: (e as Error).message.split("\n")[0] };
          }
        }
      }
      return {
        recordId: r.recordId,
        status: r.status,
        reason: r.reason,
        detail: r.detail,
        label: r.label,
        leafHash: r.leafHash,
        record,
        batch: batch && {
          batchKey: batch.batchKey,
          root: batch.root,
          dataType: batch.dataType,
          state: batch.state,
          batchId: batch.batchId,
          txHash: batch.txHash,
          blockNumber: batch.blockNumber,
        },
        proof: proof ?? null,
        verification,
      };
    },
  );

  app.get<{ Querystring: { limit?: number; offset?: number } }>(
    "/v1/batches",
    {
      schema: {
        summary: "Batches, newest first",
        querystring: {
          type: "object",
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            offset: { type: "integer", minimum: 0 },
          },
        },
      },
    },
    async (req) => journal.batchesPage(req.query.limit ?? 100, req.query.offset ?? 0),
  );

  app.get<{ Params: { root: string } }>(
    "/v1/batches/:root",
    { schema: { summary: "A batch by its Merkle root (stable across reorgs), with its record ids" } },
    async (req, reply) => {
      const b = journal.batchByRoot(req.params.root);
      if (!b) return reply.code(404).send({ reason: "NOT_FOUND", detail: `no batch with root ${req.params.root}` });
      return { ...b, recordIds: journal.records({ batchKey: b.batchKey }).map((r) => r.recordId) };
    },
  );

  app.get<{ Params: { root: string } }>(
    "/v1/batches/:root/proofs",
    {
      schema: {
        summary:
          "A confirmed batch's proofs document: every record with its Merkle proof and where the root is anchored (the grid:anchor proofs format, for grid:verify)",
      },
    },
    async (req, reply) => {
      const b = journal.batchByRoot(req.params.root);
      if (!b) return reply.code(404).send({ reason: "NOT_FOUND", detail: `no batch with root ${req.params.root}` });
      if (b.state !== "confirmed")
        return reply.code(409).send({
          reason: "NOT_ANCHORED",
          detail: `batch ${b.batchKey} is ${b.state}: its proofs exist once confirmed`,
        });
      return deps.proofs.batchDocument(b);
    },
  );

  app.get("/v1/terminals", { schema: { summary: "Terminals the gateway knows, with status and key" } }, async () =>
    core.terminals(),
  );

  app.get<{ Querystring: { terminal?: string; reason?: string; limit?: number } }>(
    "/v1/quarantine",
    {
      schema: {
        summary: "Quarantined records and refused packages, optionally by terminal and reason",
        querystring: {
          type: "object",
          properties: {
            terminal: { type: "string" },
            reason: { type: "string" },
            limit: { type: "integer", minimum: 1, maximum: 10000 },
          },
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 1000;
      const terminalId = req.query.terminal?.toLowerCase();
      return {
        records: journal.recordsPage({ status: "quarantined", terminalId, reason: req.query.reason, limit, offset: 0 }),
        packages: journal.rejections({ terminalId, reason: req.query.reason, limit }),
      };
    },
  );

  app.get("/v1/health", { schema: { summary: "Node, broker, journal and backlog" } }, async (_req, reply) => {
    const h = core.health();
    const broker = deps.broker();
    const counts = journal.counts();
    const ok = h.node.up && broker.up && !h.stopping;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? "ok" : "degraded",
      node: h.node,
      broker,
      journal: { path: journal.path, closedThrough: h.closedThrough, records: counts },
      backlog: { records: h.backlogRecords, max: h.maxBacklogRecords },
    });
  });

  app.get("/docs/json", { schema: { hide: true } }, async () => app.swagger());

  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    const h = core.health();
    deps.metrics.backlog.set(h.backlogRecords);
    deps.metrics.anchorLag.set(journal.openPeriods().length);
    deps.metrics.journalLag.set(core.currentPeriod() - h.closedThrough);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return app;
}
