/**
 * Where an engine run's time goes, from its event log (`pulumi up --event-log FILE`): when each
 * resource's step started (resourcePreEvent) and ended (resOutputsEvent), grouped by resource type.
 *
 * The events carry whole seconds only, so the file is followed while the command runs and each
 * event is stamped with the time it was read (polled every 50 ms): good to a tenth of a second.
 */
import * as fs from "node:fs";

interface StepEvent {
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
  resOutputsEvent?: { metadata: { op: string; urn: string; type: string } };
}

/** One resource's step, in ms from the start of the command. */
export interface StepTiming {
  urn: string;
  type: string;
  op: string;
  startMs: number;
  endMs: number;
}

/** Follows an event log file from `start()` to `stop()`, stamping each line as it appears. */
export class EventLogFollower {
  private offset = 0;
  private partial = "";
  private timer: NodeJS.Timeout | undefined;
  private readonly stamped: Array<{ ms: number; line: string }> = [];
  private t0 = 0;

  constructor(readonly file: string) {}

  start(): void {
    fs.rmSync(this.file, { force: true });
    this.t0 = Date.now();
    this.timer = setInterval(() => this.poll(), 50);
  }

  private poll(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch {
      return; // not written yet
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.partial + buf.toString("utf8");
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      const ms = Date.now() - this.t0;
      for (const line of lines) if (line.trim()) this.stamped.push({ ms, line });
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Stops following and returns the steps (resources whose step both started and ended). */
  stop(): StepTiming[] {
    if (this.timer) clearInterval(this.timer);
    this.poll();
    const starts = new Map<string, { ms: number; op: string; type: string }>();
    const steps: StepTiming[] = [];
    for (const { ms, line } of this.stamped) {
      let event: StepEvent;
      try {
        event = JSON.parse(line) as StepEvent;
      } catch {
        continue;
      }
      if (event.resourcePreEvent) {
        const m = event.resourcePreEvent.metadata;
        starts.set(m.urn, { ms, op: m.op, type: m.type });
      } else if (event.resOutputsEvent) {
        const m = event.resOutputsEvent.metadata;
        const start = starts.get(m.urn);
        if (start && start.op !== "same")
          steps.push({ urn: m.urn, type: m.type, op: start.op, startMs: start.ms, endMs: ms });
      }
    }
    fs.rmSync(this.file, { force: true });
    return steps;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const seconds = (ms: number) => +(ms / 1000).toFixed(1);

/**
 * Per resource type (custom resources only: components take no engine time of their own): how
 * many, each step's median and 90th percentile, and when the first began and the last ended;
 * overall, the most steps in flight at once and the mean (busy step-time over wall time).
 */
export function summarizeSteps(steps: StepTiming[], wallMs: number): Record<string, unknown> {
  const custom = steps.filter((s) => !s.type.includes(":index:") && s.type !== "pulumi:pulumi:Stack");
  const byType = new Map<string, StepTiming[]>();
  for (const s of custom) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
  const types: Record<string, unknown> = {};
  for (const [type, list] of [...byType].sort((a, b) => b[1].length - a[1].length)) {
    const durations = list.map((s) => s.endMs - s.startMs).sort((a, b) => a - b);
    types[type.slice(type.lastIndexOf(":") + 1)] = {
      count: list.length,
      medianS: seconds(percentile(durations, 0.5)),
      p90S: seconds(percentile(durations, 0.9)),
      firstStartS: seconds(Math.min(...list.map((s) => s.startMs))),
      lastEndS: seconds(Math.max(...list.map((s) => s.endMs))),
    };
  }
  const edges = custom.flatMap((s) => [
    { ms: s.startMs, d: 1 },
    { ms: s.endMs, d: -1 },
  ]);
  edges.sort((a, b) => a.ms - b.ms || a.d - b.d);
  let inFlight = 0;
  let maxInFlight = 0;
  for (const e of edges) maxInFlight = Math.max(maxInFlight, (inFlight += e.d));
  const busyMs = custom.reduce((sum, s) => sum + (s.endMs - s.startMs), 0);
  return { maxInFlight, meanInFlight: +(busyMs / wallMs).toFixed(1), types };
}
