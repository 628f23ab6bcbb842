// The pool's plan, without Pulumi: what it decides from the args, and that it refuses every
// problem at once.
import { expect } from "chai";
import { ComponentArgsError } from "../../src/errors";
import { planThinClientDesktopPool, renderPlannedUserData } from "../../src/desktop/thin-client-desktop-pool-plan";
import { ThinClientDesktopPoolArgs } from "../../src/desktop/thin-client-desktop-pool-args";

const office: ThinClientDesktopPoolArgs = {
  employees: [{ name: "alice" }, { name: "bob_k", flavor: "m1.large", powerState: "shelved_offloaded" }],
  flavor: "m1.desktop",
  imageName: "ubuntu-24.04",
  networkId: "net-lan",
  thinClientCidr: "192.168.50.0/24",
};

function problemsOf(args: ThinClientDesktopPoolArgs): ComponentArgsError {
  try {
    planThinClientDesktopPool("office", args);
  } catch (e) {
    return e as ComponentArgsError;
  }
  throw new Error("the plan accepted the args");
}

describe("ThinClientDesktopPool plan", () => {
  it("names each employee's children <pool>-<employee>-… and decides the desktop workspace by default", () => {
    const plan = planThinClientDesktopPool("office", office);
    expect(plan.workspace).to.equal("desktop");
    expect(plan.hashScheme).to.equal("sha512-crypt");
    expect(plan.userData.kind).to.equal("desktop");
    expect(plan.network).to.equal(undefined);
    expect(plan.image).to.deep.equal({ kind: "name", name: "ubuntu-24.04", lookUpId: false });
    expect(plan.desktops.map((d) => [d.hostname, d.names, d.employee.powerState])).to.deep.equal([
      [
        "office-alice",
        {
          credential: "office-alice-credential",
          port: "office-alice-port",
          server: "office-alice-desktop",
          floatingIp: "office-alice-fip",
        },
        "active",
      ],
      [
        "office-bob-k",
        {
          credential: "office-bob_k-credential",
          port: "office-bob_k-port",
          server: "office-bob_k-desktop",
          floatingIp: "office-bob_k-fip",
        },
        "shelved_offloaded",
      ],
    ]);
    expect(plan.securityRules.map((r) => r.name)).to.deep.equal(["rdp", "icmp"]);
  });

  it("decides a Jupyter workspace: its port, Jupyter hashes, Jupyter user data", () => {
    const plan = planThinClientDesktopPool("ml", {
      ...office,
      workspace: "jupyter",
      jupyterServer: "lab",
      jupyterPort: 9443,
    });
    expect(plan.hashScheme).to.equal("jupyter-sha512");
    expect(plan.userData).to.deep.include({ kind: "jupyter" });
    expect(plan.securityRules[0]).to.deep.include({ name: "jupyter", port: 9443 });
    const hash = `sha512:abcdefgh:${"0".repeat(128)}`;
    expect(renderPlannedUserData(plan, plan.desktops[0], hash)).to.contain("jupyterlab");
  });

  it("reports every problem at once: fields, relations between fields, capacity", () => {
    const error = problemsOf({
      ...office,
      employees: [{ name: "Alice" }, { name: "bob", powerState: "off" }],
      networkCidr: "10.0.0.0/24",
      workspace: "desktop",
      jupyterPort: 9000,
      adminCidr: "192.168.99.0/28",
      computeHosts: [{ vcpus: 0, ramMiB: 4096 }],
      allocationRatios: "generous",
    });
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect(error.component).to.equal("ThinClientDesktopPool office");
    expect(error.problems.map((p) => p.field)).to.have.members([
      "employees[0].name",
      "employees[1].powerState",
      "networkCidr",
      "dnsNameservers",
      "jupyterPort",
      "adminPublicKey",
      "computeHosts[0].vcpus",
      "allocationRatios",
    ]);
    expect(error.message)
      .to.contain('employees[0].name: "Alice" is not a usable Linux user name')
      .and.contain(
        'networkCidr: "10.0.0.0/24" give either networkId (an existing network) or networkCidr (a new PrivateNetwork), not both',
      )
      .and.contain("SSH needs both adminCidr and adminPublicKey");
  });
});
