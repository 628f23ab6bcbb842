import * as fs from "node:fs";
import * as path from "node:path";
import { OperationName } from "./operations";

/**
 * The five self-contained programs the topology installs: one per server. Each is a single
 * JavaScript file with no imports beyond Node's built-ins, committed under `bundle/` (so a
 * fresh clone can deploy without a build step) and checked by the tests to match the sources.
 */
export type CalculatorRole = "frontend" | OperationName;

export const CALCULATOR_ROLES: readonly CalculatorRole[] = ["frontend", "sum", "sub", "mul", "div"];

/** Where the committed bundles live. */
export const BUNDLE_DIR = path.resolve(__dirname, "..", "bundle");

export function bundleFileName(role: CalculatorRole): string {
  return role === "frontend" ? "calculator-frontend.js" : `calculator-${role}.js`;
}

export function bundlePath(role: CalculatorRole): string {
  return path.join(BUNDLE_DIR, bundleFileName(role));
}

/** The committed bundle's text; throws naming the command that creates it when it is missing. */
export function readBundle(role: CalculatorRole): string {
  const file = bundlePath(role);
  if (!fs.existsSync(file)) {
    throw new Error(`the calculator bundle ${file} is missing; create it with: npm run -w packages/calculator bundle`);
  }
  return fs.readFileSync(file, "utf8");
}
