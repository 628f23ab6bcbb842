/**
 * HTTP transport on node:http/https: JSON calls, streamed bodies both ways (backpressure
 * comes from stream.pipeline), retries with exponential backoff for calls that are safe to
 * repeat, and a log hook that sees method/URL/status/duration only — never headers or bodies,
 * so tokens and passwords cannot leak through it.
 */
import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { OpenStackConnectionError, OpenStackError, extractServiceMessage } from "./errors";

export interface TransportLogEvent {
  method: string;
  url: string;
  status?: number;
  ms: number;
  attempt: number;
  error?: string;
  requestId?: string;
}

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  attempts: number;
  /** First backoff delay; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000 };

export interface TransportOptions {
  retry?: Partial<RetryPolicy>;
  log?: (event: TransportLogEvent) => void;
  /** Socket idle timeout; a stalled connection fails instead of hanging. */
  timeoutMs?: number;
  /** Extra CA / TLS options for https endpoints. */
  tls?: https.AgentOptions;
}

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** JSON value (serialised), a Buffer/string, or a Readable streamed with backpressure. */
  body?: unknown;
  /** Status codes other than 2xx that are an expected answer (e.g. 404 for "exists?"). */
  okStatuses?: number[];
  /**
   * Whether the call may be sent again after a failure. Defaults to true for GET/HEAD/DELETE/
   * PUT-with-replayable-body and false otherwise. Streamed bodies are never replayed.
   */
  idempotent?: boolean;
  /** Retry 409 too (Nova answers 409 while another task runs: the call was refused, not done). */
  retryConflict?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  requestId?: string;
}

const RETRYABLE_STATUS = new Set([502, 503, 504, 429]);
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

export function requestIdOf(headers: http.IncomingHttpHeaders): string | undefined {
  const v = headers["x-openstack-request-id"] ?? headers["x-compute-request-id"] ?? headers["x-request-id"];
  return Array.isArray(v) ? v[0] : v;
}

function isReplayable(body: unknown): boolean {
  return !(body instanceof Readable) && !(body && typeof (body as { pipe?: unknown }).pipe === "function");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Transport {
  readonly retry: RetryPolicy;
  private readonly log?: (e: TransportLogEvent) => void;
  private readonly timeoutMs: number;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;

  constructor(opts: TransportOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts.tls ?? {}) });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private canRetry(req: RawRequest): boolean {
    if (!isReplayable(req.body)) return false;
    if (req.idempotent !== undefined) return req.idempotent;
    return ["GET", "HEAD", "DELETE", "PUT", "OPTIONS"].includes(req.method.toUpperCase());
  }

  /** Sends a request and resolves with the response stream (status checked, errors thrown). */
  async send(req: RawRequest): Promise<{ res: http.IncomingMessage; info: RawResponse }> {
    const retryable = this.canRetry(req);
    // A 409 "another task is running" means the call was refused, so even a POST may be resent.
    const conflictRetry = req.retryConflict === true && isReplayable(req.body);
    let attempts = retryable || conflictRetry ? Math.max(1, this.retry.attempts) : 1;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const started = Date.now();
      try {
        const res = await this.once(req);
        const requestId = requestIdOf(res.headers);
        const status = res.statusCode ?? 0;
        this.log?.({ method: req.method, url: req.url, status, ms: Date.now() - started, attempt, requestId });
        const ok = (status >= 200 && status < 300) || (req.okStatuses ?? []).includes(status);
        if (ok) return { res, info: { status, headers: res.headers, requestId } };
        const body = await readText(res);
        const { message, type } = extractServiceMessage(body);
        const err = new OpenStackError({
          method: req.method,
          url: req.url,
          status,
          requestId,
          serviceMessage: message,
          errorType: type,
        });
        const transient = (retryable && RETRYABLE_STATUS.has(status)) || (conflictRetry && status === 409);
        if (transient && attempt < attempts) {
          lastError = err;
          await sleep(this.backoff(attempt, res.headers["retry-after"]));
          continue;
        }
        throw err;
      } catch (e) {
        if (e instanceof OpenStackError) throw e;
        const err = e as NodeJS.ErrnoException & { reusedSocket?: boolean };
        this.log?.({
          method: req.method,
          url: req.url,
          ms: Date.now() - started,
          attempt,
          error: err.code ?? err.message,
        });
        lastError = err;
        // A kept-alive socket the server had already closed: the request never reached it, so
        // even a POST may be sent again (once, on a fresh socket).
        if (err.reusedSocket && err.code === "ECONNRESET" && isReplayable(req.body) && attempt === 1) {
          attempts = Math.max(attempts, 2);
          continue;
        }
        if (retryable && RETRYABLE_CODES.has(err.code ?? "") && attempt < attempts) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new OpenStackConnectionError(req.method, req.url, err);
      }
    }
    throw lastError ?? new Error("unreachable");
  }

  /** JSON call: returns parsed body (undefined for empty bodies) and response info. */
  async json<T>(req: RawRequest): Promise<{ body: T; info: RawResponse }> {
    const { res, info } = await this.send({ ...req, headers: { Accept: "application/json", ...(req.headers ?? {}) } });
    const text = await readText(res);
    let body: unknown = undefined;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { body: body as T, info };
  }

  private backoff(attempt: number, retryAfter?: string | string[]): number {
    const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
    if (ra && /^\d+$/.test(ra)) return Math.min(Number(ra) * 1000, this.retry.maxDelayMs);
    const exp = Math.min(this.retry.baseDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
    return exp / 2 + Math.random() * (exp / 2);
  }

  private once(req: RawRequest): Promise<http.IncomingMessage> {
    const url = new URL(req.url);
    const isHttps = url.protocol === "https:";
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (req.body instanceof Readable || (req.body && typeof (req.body as Readable).pipe === "function")) {
      stream = req.body as Readable;
      headers["Content-Type"] ??= "application/octet-stream";
    } else if (Buffer.isBuffer(req.body) || typeof req.body === "string") {
      payload = Buffer.from(req.body as Buffer | string);
    } else if (req.body !== undefined) {
      payload = Buffer.from(JSON.stringify(req.body));
      headers["Content-Type"] ??= "application/json";
    }
    if (payload) headers["Content-Length"] = String(payload.length);
    return new Promise((resolve, reject) => {
      const lib = isHttps ? https : http;
      const r = lib.request(
        url,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent, timeout: this.timeoutMs },
        (res) => resolve(res),
      );
      r.on("timeout", () =>
        r.destroy(Object.assign(new Error(`no data for ${this.timeoutMs} ms`), { code: "ETIMEDOUT" })),
      );
      r.on("error", (e) => reject(Object.assign(e, { reusedSocket: r.reusedSocket })));
      if (stream) {
        // pipeline propagates backpressure from the socket to the source and destroys both on error.
        pipeline(stream, r).catch((e: Error) => {
          r.destroy(e);
          reject(e);
        });
      } else {
        r.end(payload);
      }
    });
  }
}

export async function readText(res: Readable, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    if (size < limit) chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}
