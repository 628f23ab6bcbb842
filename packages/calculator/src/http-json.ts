import type { IncomingMessage, ServerResponse } from "node:http";
import { CalculatorError, CalculatorErrorCode } from "./errors";

/** Largest request body any calculator server reads; an expression is at most 1000 characters. */
export const MAX_BODY_BYTES = 8 * 1024;

/**
 * Reads and parses a JSON request body. Stops reading (413) as soon as the body exceeds the
 * limit, whether or not Content-Length announced it, so a large upload cannot fill memory.
 */
export function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new CalculatorError("body_too_large", `the request body is ${declared} bytes; the limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new CalculatorError("body_too_large", `the request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
    req.on("end", () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new CalculatorError("invalid_json", `the request body is not valid JSON: ${(err as Error).message}`));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export interface ErrorBody {
  error: { code: CalculatorErrorCode; message: string; service?: string };
}

/** Sends a CalculatorError as `{"error": {code, message}}`; anything else is a logged 500. */
export function sendError(res: ServerResponse, err: unknown, extra: { service?: string } = {}): void {
  if (err instanceof CalculatorError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, ...extra } };
    // After a 413 the rest of the upload is not read; closing the connection stops it.
    if (err.code === "body_too_large") res.setHeader("connection", "close");
    sendJson(res, err.status, body);
    return;
  }
  console.error("internal error:", err);
  sendJson(res, 500, { error: { code: "internal_error", message: "internal error (see the server log)" } });
}

/** Object guard for parsed JSON bodies. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
