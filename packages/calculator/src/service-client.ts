import * as http from "node:http";
import { CalculatorError, isCalculatorErrorCode } from "./errors";
import { isPlainObject } from "./http-json";
import { isInRange } from "./numbers";

export interface ServiceEndpoint {
  /** Name used in error messages, e.g. "sum". */
  name: string;
  /** Base URL, e.g. http://192.168.2.1:50001 */
  url: string;
}

interface RawResponse {
  status: number;
  body: string;
}

/**
 * One HTTP exchange with a hard deadline covering connect, request and response. A fresh
 * connection per call (no keep-alive agent): a service restarted under us never leaves a
 * stale pooled socket behind.
 */
function exchange(
  endpoint: ServiceEndpoint,
  method: string,
  path: string,
  payload: string | undefined,
  timeoutMs: number,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    let target: URL;
    try {
      target = new URL(path, endpoint.url);
    } catch {
      reject(
        new CalculatorError(
          "service_unavailable",
          `the ${endpoint.name} service URL ${JSON.stringify(endpoint.url)} is not a valid URL`,
        ),
      );
      return;
    }
    const req = http.request(
      target,
      {
        method,
        agent: false,
        headers:
          payload === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => finish(() => reject(unavailable(endpoint, err))));
        res.on("end", () =>
          finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })),
        );
      },
    );
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new CalculatorError(
            "service_timeout",
            `the ${endpoint.name} service at ${endpoint.url} did not answer within ${timeoutMs} ms`,
          ),
        ),
      );
      req.destroy();
    }, timeoutMs);
    req.on("error", (err) => finish(() => reject(unavailable(endpoint, err))));
    req.end(payload);
  });
}

function unavailable(endpoint: ServiceEndpoint, err: Error & { code?: string }): CalculatorError {
  return new CalculatorError(
    "service_unavailable",
    `the ${endpoint.name} service at ${endpoint.url} is unreachable (${err.code ?? err.message})`,
  );
}

/**
 * Calls an operation service. Its own refusals (division by zero, out of range) come back as
 * the same CalculatorError; anything unexpected is a 502 naming the service.
 */
export async function callOperation(
  endpoint: ServiceEndpoint,
  a: number,
  b: number,
  timeoutMs: number,
): Promise<number> {
  const response = await exchange(endpoint, "POST", "/", JSON.stringify({ a, b }), timeoutMs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    throw new CalculatorError(
      "bad_service_response",
      `the ${endpoint.name} service at ${endpoint.url} answered HTTP ${response.status} with a body that is not JSON`,
    );
  }
  if (
    response.status === 200 &&
    isPlainObject(parsed) &&
    typeof parsed.result === "number" &&
    isInRange(parsed.result)
  ) {
    return parsed.result;
  }
  if (response.status >= 400 && response.status < 500 && isPlainObject(parsed) && isPlainObject(parsed.error)) {
    const { code, message } = parsed.error;
    if (isCalculatorErrorCode(code) && typeof message === "string") {
      throw new CalculatorError(code, `${endpoint.name} service: ${message}`);
    }
  }
  throw new CalculatorError(
    "bad_service_response",
    `the ${endpoint.name} service at ${endpoint.url} answered HTTP ${response.status} with an unexpected body: ${response.body.slice(0, 200)}`,
  );
}

/** True when the service answers `GET /healthz` with HTTP 200 within the deadline. */
export async function probeService(
  endpoint: ServiceEndpoint,
  timeoutMs: number,
): Promise<{ up: boolean; detail: string }> {
  try {
    const response = await exchange(endpoint, "GET", "/healthz", undefined, timeoutMs);
    return response.status === 200
      ? { up: true, detail: "answered" }
      : { up: false, detail: `HTTP ${response.status}` };
  } catch (err) {
    return { up: false, detail: (err as Error).message };
  }
}
