/** A spec that failed validation: every issue with its field path, message and (redacted) value. */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string; value?: unknown }[],
  ) {
    super(
      `${file}: invalid migration spec:\n` +
        issues
          .map(
            (i) =>
              `  - ${i.path || "(root)"}: ${i.message}${i.value !== undefined ? ` (got ${JSON.stringify(redactValue(i.path, i.value))})` : ""}`,
          )
          .join("\n"),
    );
    this.name = "SpecError";
  }
}

function redactValue(path: string, v: unknown): unknown {
  return /password|secret/i.test(path) ? "***" : v;
}
