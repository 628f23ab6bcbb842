import * as http from "node:http";
import { CalculatorError } from "./errors";
import { isPlainObject, readJsonBody, sendError, sendJson } from "./http-json";
import { assertInRange } from "./numbers";
import { Operation } from "./operations";

/**
 * One operation service: `POST / {"a": number, "b": number}` → `{"result": number}`;
 * `GET /healthz` → `{"status": "ok", "operation": name}`.
 */
export function createOperationServer(operation: Operation): http.Server {
  return http.createServer((req, res) => {
    handle(operation, req, res).catch((err) => sendError(res, err));
  });
}

function operand(body: Record<string, unknown>, key: "a" | "b"): number {
  const value = body[key];
  if (typeof value !== "number") {
    throw new CalculatorError(
      "invalid_request",
      `"${key}" must be a JSON number, got ${value === undefined ? "nothing" : JSON.stringify(value)}`,
    );
  }
  return assertInRange(value, `operand "${key}"`);
}

async function handle(operation: Operation, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/healthz") {
    if (req.method !== "GET") throw new CalculatorError("method_not_allowed", "use GET /healthz");
    sendJson(res, 200, { status: "ok", operation: operation.name });
    return;
  }
  if (path !== "/") throw new CalculatorError("not_found", `no such path ${path}; use POST / or GET /healthz`);
  if (req.method !== "POST")
    throw new CalculatorError("method_not_allowed", `use POST / with {"a": number, "b": number}`);
  const body = await readJsonBody(req);
  if (!isPlainObject(body))
    throw new CalculatorError("invalid_request", `the body must be a JSON object {"a": number, "b": number}`);
  const a = operand(body, "a");
  const b = operand(body, "b");
  const result = assertInRange(operation.apply(a, b), `the result of ${a} ${operation.symbol} ${b} =`);
  sendJson(res, 200, { result });
}
