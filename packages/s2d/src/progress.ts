/**
 * Progress output: on a terminal, one live line per server (bytes, rate, ETA) redrawn in
 * place; with --json, one JSON object per event on stdout for machines.
 */
import type { EngineEvent } from "./engine";

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function progressLine(
  server: string,
  p: { bytes: number; total?: number; rate: number; etaMs?: number },
): string {
  const pct = p.total ? ` ${((100 * p.bytes) / p.total).toFixed(1).padStart(5)}%` : "";
  const of = p.total ? ` / ${formatBytes(p.total)}` : "";
  const eta = p.etaMs !== undefined ? ` ETA ${formatDuration(p.etaMs)}` : "";
  return `${server}: ${formatBytes(p.bytes)}${of}${pct} at ${formatBytes(p.rate)}/s${eta}`;
}

export class Reporter {
  private lines = new Map<string, string>();
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly json: boolean,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  handle = (e: EngineEvent): void => {
    if (this.json) {
      this.out.write(JSON.stringify({ ...e, at: new Date().toISOString() }) + "\n");
      return;
    }
    const tty = this.err.isTTY;
    if (e.type === "progress") {
      this.lines.set(e.server, progressLine(e.server, e.progress));
      if (tty) this.redraw();
      return;
    }
    const text =
      e.type === "step"
        ? e.status === "start"
          ? `${e.server}: ${e.step}…`
          : e.status === "skipped"
            ? `${e.server}: ${e.step} skipped (${e.detail})`
            : `${e.server}: ${e.step} done`
        : e.type === "warning"
          ? `${e.server}: warning: ${e.message}`
          : e.type === "info"
            ? `${e.server}: ${e.message}`
            : e.type === "snapshot-created"
              ? `${e.server}: snapshot ${e.imageId} requested`
              : e.type === "cleanup"
                ? `${e.server}: cleanup ${e.resource.type} ${e.resource.id} ${e.kept ? `kept: ${e.kept}` : e.ok ? "removed" : `FAILED: ${e.error}`}`
                : e.type === "error"
                  ? `${e.server}: ERROR ${e.error}`
                  : `${e.server}: migrated → server ${e.result.targetServerId}${e.result.floatingIp ? ` (${e.result.floatingIp})` : ""}, image ${e.result.targetImageId}, md5 ${e.result.checksums.md5}`;
    if (e.type === "step" && e.step === "image-data" && e.status === "done") {
      const last = this.lines.get(e.server);
      this.lines.delete(e.server);
      if (last) this.print(`${last} — done`);
    }
    this.print(text);
  };

  private print(text: string): void {
    if (this.err.isTTY) this.clear();
    this.err.write(text + "\n");
    if (this.err.isTTY) this.redraw();
  }

  private clear(): void {
    if (this.drawn) this.err.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    for (const l of this.lines.values()) this.err.write(l + "\n");
    this.drawn = this.lines.size;
  }
}
