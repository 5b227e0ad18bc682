export { parseRpcUrls } from "./endpoints";
import {
  FetchRequest,
  JsonRpcProvider,
  type JsonRpcApiProviderOptions,
  type JsonRpcPayload,
  type JsonRpcResult,
} from "ethers";

/** How long one endpoint gets to answer one request before the next is tried. */
export const ENDPOINT_TIMEOUT_MS = 30_000;

export interface FailoverOptions extends JsonRpcApiProviderOptions {
  /** Per-request timeout of one endpoint (default ENDPOINT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Told when the provider moves to another endpoint. */
  onFailover?: (from: string, to: string, error: unknown) => void;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * A JSON-RPC provider over several endpoints of the same chain (nodes of one consortium network). It talks to one
 * endpoint at a time and moves to the next, in list order and round, only when that endpoint stops answering
 * (connection refused or reset, timeout, HTTP error); a JSON-RPC error (a revert, "nonce too low") is the chain's
 * answer and is returned as is. Requests are therefore never split across endpoints, and one signer over this
 * provider keeps a single nonce sequence: the sender checks its earlier transactions by hash on the new endpoint
 * before it sends again (src/pipeline/sender.ts).
 *
 * Why not ethers' FallbackProvider: it spreads reads over a quorum of backends and sends every transaction to all
 * of them, which suits public RPC services, not one writer relaying to its own consortium nodes; it does not pass
 * raw `send` calls (evm_mine, anvil_*, txpool) through, and its quorum of "pending" nonces can lag after a
 * failover. A single current endpoint keeps reads consistent with the writes just made.
 */
export class FailoverJsonRpcProvider extends JsonRpcProvider {
  readonly urls: readonly string[];

  #current = 0;

  readonly #timeoutMs: number;

  readonly #onFailover?: FailoverOptions["onFailover"];

  constructor(urls: readonly string[], options: FailoverOptions = {}) {
    if (urls.length === 0) throw new Error("FailoverJsonRpcProvider: no endpoints");
    const { timeoutMs, onFailover, ...rest } = options;
    const network = rest.staticNetwork && rest.staticNetwork !== true ? rest.staticNetwork : undefined;
    // No client-side cache: a writer reads its nonce and receipts right after its own transactions.
    super(urls[0], network, { cacheTimeout: -1, ...rest });
    this.urls = [...urls];
    this.#timeoutMs = timeoutMs ?? ENDPOINT_TIMEOUT_MS;
    this.#onFailover = onFailover;
  }

  /** The endpoint requests go to now. */
  get endpoint(): string {
    return this.urls[this.#current];
  }

  override _getConnection(): FetchRequest {
    return this.#request(this.#current);
  }

  #request(index: number): FetchRequest {
    const request = new FetchRequest(this.urls[index]);
    request.timeout = this.#timeoutMs;
    return request;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const body = JSON.stringify(payload);
    let lastError: unknown;
    for (let i = 0; i < this.urls.length; i++) {
      const index = (this.#current + i) % this.urls.length;
      const request = this.#request(index);
      request.body = body;
      request.setHeader("content-type", "application/json");
      try {
        const response = await request.send();
        response.assertOk();
        const result = response.bodyJson as JsonRpcResult | JsonRpcResult[];
        if (index !== this.#current) {
          const from = this.urls[this.#current];
          this.#current = index;
          this.#onFailover?.(from, this.urls[index], lastError);
        }
        return Array.isArray(result) ? result : [result];
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(
      `none of the ${this.urls.length} RPC endpoints answered (${this.urls.join(", ")}): ${message(lastError)}`,
      { cause: lastError },
    );
  }
}

/**
 * Asks every endpoint for its chain id: all that answer must serve the same chain (a list mixing networks is a
 * configuration error), and at least one must answer. Returns the chain id and the endpoints that did not answer.
 */
export async function checkEndpoints(
  urls: readonly string[],
  timeoutMs = 5_000,
): Promise<{ chainId: bigint; unreachable: string[] }> {
  const seen = new Map<string, bigint>();
  const unreachable: string[] = [];
  for (const url of urls) {
    const request = new FetchRequest(url);
    request.timeout = timeoutMs;
    request.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    request.setHeader("content-type", "application/json");
    try {
      const response = await request.send();
      response.assertOk();
      seen.set(url, BigInt((response.bodyJson as { result: string }).result));
    } catch {
      unreachable.push(url);
    }
  }
  const ids = [...new Set(seen.values())];
  if (ids.length === 0) throw new Error(`none of the RPC endpoints answered: ${urls.join(", ")}`);
  if (ids.length > 1)
    throw new Error(
      `the RPC endpoints serve different chains: ${[...seen].map(([u, id]) => `${u} -> chain ${id}`).join(", ")}`,
    );
  return { chainId: ids[0], unreachable };
}
