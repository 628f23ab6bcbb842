// The random provider's results, made deterministic for tests.
import { createHash } from "node:crypto";
import type { Inputs } from "./common";

/**
 * A deterministic stand-in for random.RandomPassword's result: stable for the same resource
 * name and options (as the real provider is stable across runs), honouring length and the
 * character classes the program asked for.
 */
export function stableRandom(name: string, inputs: Inputs): string {
  const length = typeof inputs.length === "number" ? inputs.length : 16;
  let alphabet = "";
  if (inputs.lower !== false) alphabet += "abcdefghijklmnopqrstuvwxyz";
  if (inputs.upper !== false) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (inputs.numeric !== false && inputs.number !== false) alphabet += "0123456789";
  if (inputs.special !== false)
    alphabet += typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : "!@#$%&*()-_=+[]{}<>:?";
  if (alphabet === "") alphabet = "abcdefghijklmnopqrstuvwxyz";
  let out = "";
  let block = createHash("sha256").update(`${name}:${length}`).digest();
  while (out.length < length) {
    for (const byte of block) {
      if (out.length >= length) break;
      out += alphabet[byte % alphabet.length];
    }
    block = createHash("sha256").update(block).digest();
  }
  return out;
}
