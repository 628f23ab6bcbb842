/**
 * Errors the calculator reports to its callers. Each carries the HTTP status it maps to and a
 * stable machine-readable code, so the front end can pass a service's refusal through unchanged.
 */
export type CalculatorErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "invalid_expression"
  | "division_by_zero"
  | "out_of_range"
  | "body_too_large"
  | "not_found"
  | "method_not_allowed"
  | "service_unavailable"
  | "service_timeout"
  | "bad_service_response";

export const STATUS_BY_CODE: Record<CalculatorErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_expression: 400,
  division_by_zero: 422,
  out_of_range: 422,
  body_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  service_unavailable: 502,
  service_timeout: 504,
  bad_service_response: 502,
};

export class CalculatorError extends Error {
  readonly status: number;
  constructor(
    readonly code: CalculatorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CalculatorError";
    this.status = STATUS_BY_CODE[code];
  }
}

export function isCalculatorErrorCode(value: unknown): value is CalculatorErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(STATUS_BY_CODE, value);
}
