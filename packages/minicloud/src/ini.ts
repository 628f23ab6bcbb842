/** Renders oslo.config / uwsgi style INI files from plain objects. */

export type IniValue = string | number | boolean | readonly string[];
export type IniDocument = Record<string, Record<string, IniValue | undefined>>;

function renderValue(section: string, key: string, value: IniValue): string {
  const text = Array.isArray(value) ? value.join(",") : String(value);
  if (/[\r\n]/.test(text)) {
    throw new Error(`ini: [${section}] ${key} contains a line break; INI values must be one line`);
  }
  return text;
}

/**
 * Sections in the order given, keys in insertion order; `undefined` values are left out so
 * callers can write optional settings inline.
 */
export function renderIni(
  doc: IniDocument,
  repeatedKeys: Record<string, Record<string, readonly string[]>> = {},
): string {
  const lines: string[] = [];
  for (const [section, entries] of Object.entries(doc)) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(section)) throw new Error(`ini: invalid section name '${section}'`);
    lines.push(`[${section}]`);
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) continue;
      if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`ini: [${section}] invalid key '${key}'`);
      lines.push(`${key} = ${renderValue(section, key, value)}`);
    }
    for (const [key, values] of Object.entries(repeatedKeys[section] ?? {})) {
      for (const v of values) lines.push(`${key} = ${renderValue(section, key, v)}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
