/**
 * AutoStop (as AWS WorkSpaces' running mode, JupyterHub's idle culler): a desktop without an RDP
 * session for the pool's limit is shelved, a notebook without a Jupyter session stopped, so the
 * capacity goes back to the hosts; the employee unshelves it from the portal. Idleness comes only
 * from what each guest reports (a timer inside it says whether an xrdp or Jupyter session is
 * active): a desktop that never reported, or stopped reporting, is left alone, never guessed idle.
 *
 * Pure: the ledger folds reports into per-desktop facts; the planner decides from those facts,
 * Nova's states and the clock. The portal runs the plan (app.ts).
 */

export interface SessionReport {
  employee: string;
  /** When the portal received it (ms since the epoch; the guest's clock is not trusted). */
  at: number;
  /** Whether an xrdp (desktop) or Jupyter (notebook) session is active in the guest now. */
  active: boolean;
}

/** What the reports of one desktop say so far. */
export interface DesktopActivity {
  lastReportAt: number;
  /** The last report that saw a session, if any. */
  lastActiveAt?: number;
  /** The first report of the current idle stretch (reset by every active report). */
  idleSince?: number;
}

export type ActivityLedger = Record<string, DesktopActivity>;

/** The ledger after one more report (a new object; the old one is unchanged). */
export function recordReport(ledger: ActivityLedger, report: SessionReport): ActivityLedger {
  const before = ledger[report.employee];
  const next: DesktopActivity = report.active
    ? { lastReportAt: report.at, lastActiveAt: report.at }
    : {
        lastReportAt: report.at,
        ...(before?.lastActiveAt !== undefined ? { lastActiveAt: before.lastActiveAt } : {}),
        idleSince: before?.idleSince ?? report.at,
      };
  return { ...ledger, [report.employee]: next };
}

export interface AutoStopDesktop {
  employee: string;
  /** Nova status and task (only an ACTIVE server with no task is stopped). */
  status: string;
  taskState: string | null;
  /** "desktop" is shelved (capacity back to the host); "notebook" is stopped. */
  kind: "desktop" | "notebook";
  /** When the portal last started or unshelved it: the employee gets the full limit to connect. */
  resumedAt?: number;
}

export interface AutoStopSettings {
  /** Minutes without a session before a desktop is shelved or a notebook stopped. */
  idleMinutes: number;
  /**
   * Minutes after which a guest's silence means "unknown", not "idle" (a few report intervals:
   * the guest may be booting, its timer broken, or the network down).
   */
  reportTimeoutMinutes: number;
}

export interface AutoStopDecision {
  employee: string;
  action: "shelve" | "stop" | "keep";
  reason: string;
}

const MINUTE = 60_000;

/** What to do with each desktop now. */
export function planAutoStop(
  desktops: AutoStopDesktop[],
  ledger: ActivityLedger,
  settings: AutoStopSettings,
  now: number,
): AutoStopDecision[] {
  return desktops.map((d): AutoStopDecision => {
    const keep = (reason: string): AutoStopDecision => ({ employee: d.employee, action: "keep", reason });
    if (d.status !== "ACTIVE") return keep(`not running (${d.status})`);
    if (d.taskState) return keep(`busy (${d.taskState})`);
    const a = ledger[d.employee];
    if (!a) return keep("no report from the guest yet: idleness unknown");
    const silentFor = now - a.lastReportAt;
    if (silentFor > settings.reportTimeoutMinutes * MINUTE)
      return keep(`no report for ${Math.floor(silentFor / MINUTE)} min: idleness unknown`);
    if (a.idleSince === undefined) return keep("a session is active");
    // Idle from the later of: the first idle report of this stretch, the last resume by the portal.
    const idleFrom = Math.max(a.idleSince, d.resumedAt ?? 0);
    const idleFor = now - idleFrom;
    if (idleFor < settings.idleMinutes * MINUTE)
      return keep(`idle for ${Math.floor(idleFor / MINUTE)} of ${settings.idleMinutes} min`);
    return {
      employee: d.employee,
      action: d.kind === "notebook" ? "stop" : "shelve",
      reason: `no session for ${Math.floor(idleFor / MINUTE)} min (limit ${settings.idleMinutes} min)`,
    };
  });
}
