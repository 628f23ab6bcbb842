import { expect } from "chai";
import { decideAction, possibleActions, progressOf } from "../src/policy";

const alice = { user: "alice", role: "employee" as const };
const running = { status: "ACTIVE", taskState: null };

describe("portal policy: who may do what to which desktop", () => {
  it("lets an employee shelve their own running desktop", () => {
    expect(decideAction({ actor: alice, action: "shelve", ownServerId: "srv-a", state: running })).to.deep.equal({
      allowed: true,
    });
    // Naming one's own server is fine too.
    expect(
      decideAction({ actor: alice, action: "stop", ownServerId: "srv-a", requestedServerId: "srv-a", state: running })
        .allowed,
    ).to.equal(true);
  });

  it("refuses another employee's server whatever the request says, before looking at the action", () => {
    for (const action of ["start", "stop", "shelve", "unshelve", "delete"]) {
      const d = decideAction({
        actor: alice,
        action,
        ownServerId: "srv-a",
        requestedServerId: "srv-b",
        state: running,
      });
      expect(d).to.deep.equal({ allowed: false, status: 403, reason: "that desktop is not yours" });
    }
  });

  it("refuses admins and employees without a desktop (the portal acts only for a desktop's own employee)", () => {
    const admin = { user: "root", role: "admin" as const };
    expect(decideAction({ actor: admin, action: "stop", ownServerId: undefined, state: running })).to.include({
      allowed: false,
      status: 403,
    });
    expect(decideAction({ actor: alice, action: "stop", ownServerId: undefined, state: running })).to.include({
      allowed: false,
      status: 403,
    });
  });

  it("refuses unknown actions and actions the state does not allow, naming why", () => {
    const unknown = decideAction({ actor: alice, action: "rebuild", ownServerId: "srv-a", state: running });
    expect(unknown).to.deep.include({ allowed: false, status: 400 });
    expect((unknown as { reason: string }).reason).to.match(/unknown action "rebuild"; use one of start, stop/);
    const start = decideAction({ actor: alice, action: "start", ownServerId: "srv-a", state: running });
    expect(start).to.deep.equal({ allowed: false, status: 409, reason: "a desktop that is running cannot start" });
    const busy = decideAction({
      actor: alice,
      action: "unshelve",
      ownServerId: "srv-a",
      state: { status: "SHELVED_OFFLOADED", taskState: "unshelving" },
    });
    expect(busy).to.deep.equal({
      allowed: false,
      status: 409,
      reason: "the desktop is busy (unshelving); wait until it is done",
    });
  });

  it("offers the actions that fit Nova's state", () => {
    expect(possibleActions({ status: "ACTIVE", taskState: null })).to.deep.equal(["stop", "shelve"]);
    expect(possibleActions({ status: "SHUTOFF", taskState: null })).to.deep.equal(["start", "shelve"]);
    expect(possibleActions({ status: "SHELVED_OFFLOADED", taskState: null })).to.deep.equal(["unshelve"]);
    expect(possibleActions({ status: "ACTIVE", taskState: "shelving" })).to.deep.equal([]);
    expect(possibleActions({ status: "ERROR", taskState: null })).to.deep.equal([]);
  });

  it("reports an unshelve's progress until Nova says ACTIVE with no task", () => {
    expect(progressOf("unshelve", { status: "SHELVED_OFFLOADED", taskState: "spawning" }, 75)).to.deep.equal({
      done: false,
      failed: false,
      message: "Working on unshelve (spawning)… 1 min 15 s so far.",
    });
    expect(progressOf("unshelve", { status: "ACTIVE", taskState: null }, 130)).to.deep.include({
      done: true,
      failed: false,
    });
    expect(progressOf("shelve", { status: "SHELVED_OFFLOADED", taskState: null }, 5).done).to.equal(true);
    expect(progressOf("unshelve", { status: "ERROR", taskState: null }, 5)).to.deep.include({
      done: true,
      failed: true,
    });
  });
});
