import { expect } from "chai";
import {
  assertDistinctHostnames,
  desktopHostname,
  linuxUserNameProblem,
  occupiesCapacity,
  validateEmployees,
} from "../../src/desktop/employees";

describe("desktop pool employee list", () => {
  it("normalises a valid list with the pool's flavor and active desktops by default", () => {
    const list = validateEmployees(
      [
        { name: "alice" },
        { name: "bob_k", flavor: "d2.large", powerState: "shutoff" },
        { name: "c-3po", powerState: "shelved_offloaded", passwordRotation: "2026-11" },
      ],
      { defaultFlavor: "d1.medium" },
    );
    expect(list).to.deep.equal([
      { name: "alice", fullName: undefined, flavor: "d1.medium", powerState: "active", passwordRotation: "" },
      { name: "bob_k", fullName: undefined, flavor: "d2.large", powerState: "shutoff", passwordRotation: "" },
      {
        name: "c-3po",
        fullName: undefined,
        flavor: "d1.medium",
        powerState: "shelved_offloaded",
        passwordRotation: "2026-11",
      },
    ]);
  });

  it("applies Linux user name rules", () => {
    expect(linuxUserNameProblem("alice")).to.equal(undefined);
    expect(linuxUserNameProblem("Alice")).to.contain("lower-case");
    expect(linuxUserNameProblem("1abc")).to.contain("start with a lower-case letter");
    expect(linuxUserNameProblem("a b")).to.contain("only lower-case");
    expect(linuxUserNameProblem("a".repeat(33))).to.contain("33 characters");
    expect(linuxUserNameProblem("root")).to.contain("system account");
    expect(linuxUserNameProblem("xrdp")).to.contain("system account");
    expect(linuxUserNameProblem("systemd-network")).to.contain("system account");
  });

  it("reports every problem at once, naming the entry, the value and the fix", () => {
    let message = "";
    try {
      validateEmployees(
        [
          { name: "alice" },
          { name: "Bob" },
          { name: "alice" },
          { name: "carol", powerState: "paused" },
          { name: "dave", powerState: "off" },
          { name: "deskadmin" },
          { nmae: "x" },
        ],
        { defaultFlavor: "d1", takenNames: ["deskadmin"], field: "pool office: employees" },
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.contain("pool office: employees has 7 problem(s)");
    expect(message).to.contain('employees[1].name "Bob" is not a usable Linux user name');
    expect(message).to.contain('employees[2].name "alice" duplicates pool office: employees[0]');
    expect(message).to.contain('employees[3].powerState "paused" is refused: pausing a server keeps its RAM');
    expect(message).to.contain("only shelving frees capacity");
    expect(message).to.contain('employees[4].powerState "off" is not one of active, shutoff, shelved_offloaded');
    expect(message).to.contain('employees[5].name "deskadmin" is used by the pool itself');
    expect(message).to.match(/employees\[6\]: .*nmae|employees\[6\].name/);
  });

  it("refuses suspended for the same reason as paused, and non-lists", () => {
    expect(() => validateEmployees([{ name: "a", powerState: "suspended" }], { defaultFlavor: "f" })).to.throw(
      "only shelving frees capacity",
    );
    expect(() => validateEmployees("alice" as unknown, { defaultFlavor: "f" })).to.throw("must be a list");
    expect(() => validateEmployees([], { defaultFlavor: "" })).to.throw("needs a flavor");
  });

  it("counts every desktop except shelved-offloaded ones against capacity", () => {
    expect(occupiesCapacity("active")).to.equal(true);
    expect(occupiesCapacity("shutoff")).to.equal(true);
    expect(occupiesCapacity("shelved_offloaded")).to.equal(false);
  });

  it("derives host names and refuses collisions", () => {
    expect(desktopHostname("office", "bob_k")).to.equal("office-bob-k");
    expect(() => desktopHostname("Office_", "a")).to.throw("not a valid host name");
    const list = validateEmployees([{ name: "a_b" }, { name: "a-b" }], { defaultFlavor: "f" });
    expect(() => assertDistinctHostnames("office", list)).to.throw('would both get the host name "office-a-b"');
  });
});
