import { expect } from "chai";
import { ActivityLedger, AutoStopDesktop, planAutoStop, recordReport } from "../src/autostop";

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 7, 8, 0);
const settings = { idleMinutes: 60, reportTimeoutMinutes: 15 };
const running = (employee: string, extra: Partial<AutoStopDesktop> = {}): AutoStopDesktop => ({
  employee,
  status: "ACTIVE",
  taskState: null,
  kind: "desktop",
  ...extra,
});

/** Reports every 5 minutes from `from` to `to` (minutes after T0), active or not. */
function reports(ledger: ActivityLedger, employee: string, from: number, to: number, active: boolean) {
  for (let m = from; m <= to; m += 5) ledger = recordReport(ledger, { employee, at: T0 + m * MIN, active });
  return ledger;
}

describe("AutoStop planner (an office's desktops over a working day)", () => {
  it("shelves a desktop whose guest reported no session for the limit, and keeps one with an active xrdp session", () => {
    let ledger: ActivityLedger = {};
    ledger = reports(ledger, "alice", 0, 120, true); // alice works all morning
    ledger = reports(ledger, "bob", 0, 30, true); // bob leaves at 08:30 …
    ledger = reports(ledger, "bob", 35, 120, false); // … his guest reports no session since
    const plan = planAutoStop([running("alice"), running("bob")], ledger, settings, T0 + 120 * MIN);
    expect(plan).to.deep.equal([
      { employee: "alice", action: "keep", reason: "a session is active" },
      { employee: "bob", action: "shelve", reason: "no session for 85 min (limit 60 min)" },
    ]);
  });

  it("waits for the whole limit: idle for 55 of 60 minutes is kept", () => {
    const ledger = reports({}, "bob", 0, 55, false);
    expect(planAutoStop([running("bob")], ledger, settings, T0 + 55 * MIN)[0]).to.deep.equal({
      employee: "bob",
      action: "keep",
      reason: "idle for 55 of 60 min",
    });
  });

  it("never guesses: no report yet, or a guest silent past the timeout, keeps the desktop", () => {
    const ledger = reports({}, "carol", 0, 10, false);
    const plan = planAutoStop([running("carol"), running("dave")], ledger, settings, T0 + 120 * MIN);
    expect(plan.map((d) => [d.action, d.reason])).to.deep.equal([
      ["keep", "no report for 110 min: idleness unknown"],
      ["keep", "no report from the guest yet: idleness unknown"],
    ]);
  });

  it("gives a desktop the full limit again after the portal unshelves it, and stops (not shelves) a notebook", () => {
    const ledger = reports({}, "bob", 0, 120, false);
    const plan = planAutoStop(
      [running("bob", { resumedAt: T0 + 100 * MIN }), running("bob", { kind: "notebook" })],
      ledger,
      settings,
      T0 + 120 * MIN,
    );
    expect(plan[0]).to.deep.include({ action: "keep", reason: "idle for 20 of 60 min" });
    expect(plan[1]).to.deep.include({ action: "stop" });
  });

  it("leaves shelved, stopped and busy servers alone", () => {
    const ledger = reports({}, "bob", 0, 120, false);
    const plan = planAutoStop(
      [
        running("bob", { status: "SHELVED_OFFLOADED" }),
        running("bob", { status: "SHUTOFF" }),
        running("bob", { taskState: "unshelving" }),
      ],
      ledger,
      settings,
      T0 + 120 * MIN,
    );
    expect(plan.map((d) => d.reason)).to.deep.equal([
      "not running (SHELVED_OFFLOADED)",
      "not running (SHUTOFF)",
      "busy (unshelving)",
    ]);
  });

  it("an active report ends the idle stretch: idle time counts again from the next idle report", () => {
    let ledger = reports({}, "bob", 0, 50, false);
    ledger = recordReport(ledger, { employee: "bob", at: T0 + 55 * MIN, active: true });
    ledger = reports(ledger, "bob", 60, 110, false);
    expect(ledger.bob).to.deep.equal({
      lastReportAt: T0 + 110 * MIN,
      lastActiveAt: T0 + 55 * MIN,
      idleSince: T0 + 60 * MIN,
    });
    expect(planAutoStop([running("bob")], ledger, settings, T0 + 110 * MIN)[0].action).to.equal("keep");
    expect(planAutoStop([running("bob")], ledger, settings, T0 + 120 * MIN)[0].action).to.equal("shelve");
  });
});
