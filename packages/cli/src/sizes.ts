/** Parses a memory size such as "128G", "128GiB", "4096M", "4096" (MiB) or "1T" into MiB. */
export function parseSizeMiB(field: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(t|ti|tib|tb|g|gi|gib|gb|m|mi|mib|mb)?$/i.exec(text.trim());
  if (!match) throw new Error(`${field} "${text}" is not a size; write e.g. 128G, 4096M or 4096 (MiB)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? "m").toLowerCase()[0];
  const factor = unit === "t" ? 1024 * 1024 : unit === "g" ? 1024 : 1;
  return Math.round(value * factor);
}

/** Parses "key=value,key=value" into a record, refusing keys not in `allowed`. */
export function parseKeyValues(field: string, text: string, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`${field} "${text}": "${part}" is not key=value (keys: ${allowed.join(", ")})`);
    const key = part.slice(0, eq).trim();
    if (!allowed.includes(key)) throw new Error(`${field} "${text}": unknown key "${key}" (keys: ${allowed.join(", ")})`);
    out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

export function parseNumber(field: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new Error(`${field} "${text}" is not a number`);
  return value;
}
