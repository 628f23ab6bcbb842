/**
 * Parses a size such as "128G", "128GiB", "4096M" or "1T" into MiB. The unit is required: a bare
 * "4096" is refused, since people mean MiB, GiB or (from a spec sheet) GB, and a wrong guess
 * silently multiplies a plan by 1024.
 */
export function parseSizeMiB(field: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(t|ti|tib|tb|g|gi|gib|gb|m|mi|mib|mb)?$/i.exec(text.trim());
  if (!match) throw new Error(`${field} "${text}" is not a size; write e.g. 128G, 4096M or 1T`);
  // Zero needs no unit ("reserved=0").
  if (match[2] === undefined && Number(match[1]) !== 0) {
    throw new Error(`${field} "${text}" has no unit; write ${match[1]}M for MiB or ${match[1]}G for GiB`);
  }
  const value = Number(match[1]);
  const unit = (match[2] ?? "m").toLowerCase()[0];
  const factor = unit === "t" ? 1024 * 1024 : unit === "g" ? 1024 : 1;
  return Math.round(value * factor);
}

/** Like parseSizeMiB, in GiB (disks): "20G", "2T", "512M". */
export function parseSizeGiB(field: string, text: string): number {
  return parseSizeMiB(field, text) / 1024;
}

/** Parses "key=value,key=value" into a record, refusing keys not in `allowed`. */
export function parseKeyValues(field: string, text: string, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`${field} "${text}": "${part}" is not key=value (keys: ${allowed.join(", ")})`);
    const key = part.slice(0, eq).trim();
    if (!allowed.includes(key))
      throw new Error(`${field} "${text}": unknown key "${key}" (keys: ${allowed.join(", ")})`);
    out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

export function parseNumber(field: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new Error(`${field} "${text}" is not a number`);
  return value;
}
