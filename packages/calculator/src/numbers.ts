import { CalculatorError } from "./errors";

/**
 * Numbers the calculator accepts and returns: finite and within ±Number.MAX_SAFE_INTEGER.
 * Beyond that, doubles silently lose integer precision (2^53 + 1 === 2^53), so a result there
 * would look exact while being wrong; we refuse it instead.
 */
export const MAX_MAGNITUDE = Number.MAX_SAFE_INTEGER;

export function isInRange(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= MAX_MAGNITUDE;
}

/** Throws `out_of_range` when `value` is not finite or beyond the safe range. */
export function assertInRange(value: number, what: string): number {
  if (!isInRange(value)) {
    throw new CalculatorError(
      "out_of_range",
      `${what} ${String(value)} is out of range: numbers must be finite and between -${MAX_MAGNITUDE} and ${MAX_MAGNITUDE}`,
    );
  }
  // -0 would serialise as 0 anyway; normalising keeps results comparable.
  return value === 0 ? 0 : value;
}
