import * as http from "node:http";
import { CalculatorError } from "./errors";
import { evaluateExpression, parseExpression } from "./expression";
import { isPlainObject, readJsonBody, sendError, sendJson } from "./http-json";
import { assertInRange } from "./numbers";
import { OPERATION_NAMES, OperationName, operationForSymbol } from "./operations";
import { callOperation, probeService } from "./service-client";

export interface FrontendOptions {
  /** Base URL of each operation service, e.g. { sum: "http://192.168.2.1:50001", … }. */
  services: Record<OperationName, string>;
  /** Deadline for one call to a service (connect + answer). */
  serviceTimeoutMs: number;
}

export const DEFAULT_SERVICE_TIMEOUT_MS = 3000;

/**
 * The calculator front end: `POST /calculate {"expression": "(4+5)*3-10/2"}` → `{"result": 22}`,
 * every binary operation computed by its operation service; `GET /healthz` lists which
 * services answer (200 when all do, 503 otherwise).
 */
export function createFrontendServer(options: FrontendOptions): http.Server {
  return http.createServer((req, res) => {
    handle(options, req, res).catch((err) => sendError(res, err));
  });
}

async function handle(options: FrontendOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/healthz") {
    if (req.method !== "GET") throw new CalculatorError("method_not_allowed", "use GET /healthz");
    const probes = await Promise.all(
      OPERATION_NAMES.map(async (name) => {
        const url = options.services[name];
        return [name, { url, ...(await probeService({ name, url }, options.serviceTimeoutMs)) }] as const;
      }),
    );
    const services = Object.fromEntries(probes);
    const allUp = probes.every(([, p]) => p.up);
    sendJson(res, allUp ? 200 : 503, { status: allUp ? "ok" : "degraded", services });
    return;
  }
  if (path !== "/calculate")
    throw new CalculatorError("not_found", `no such path ${path}; use POST /calculate or GET /healthz`);
  if (req.method !== "POST")
    throw new CalculatorError("method_not_allowed", `use POST /calculate with {"expression": "..."}`);
  const body = await readJsonBody(req);
  if (!isPlainObject(body) || typeof body.expression !== "string") {
    throw new CalculatorError(
      "invalid_request",
      `the body must be a JSON object {"expression": "<arithmetic expression>"}`,
    );
  }
  const expression = parseExpression(body.expression);
  const result = await evaluateExpression(expression, (symbol, a, b) => {
    const operation = operationForSymbol(symbol);
    return callOperation(
      { name: operation.name, url: options.services[operation.name] },
      a,
      b,
      options.serviceTimeoutMs,
    );
  });
  sendJson(res, 200, { result: assertInRange(result, "the result") });
}
