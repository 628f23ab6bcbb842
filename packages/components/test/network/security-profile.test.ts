import { expect } from "chai";
import { installMocks, outputValue, T } from "@openstack-blueprints/test-harness";
import { SecurityProfile } from "../../src/network/security-profile";

const harness = installMocks();

describe("SecurityProfile (under the mock harness)", () => {
  it("creates the group and one rule per distinct spec, parented and named by what they allow", async () => {
    const run = await harness.runProgram(() => {
      const admins = new SecurityProfile("admins", {
        rules: [{ protocol: "tcp", port: 22, remoteCidr: "10.9.0.0/24" }],
      });
      const desktops = new SecurityProfile("desktops", {
        description: "thin clients to desktops",
        rules: [
          { protocol: "tcp", port: 3389, remoteCidr: "10.50.0.0/24", description: "RDP from thin clients" },
          { protocol: "icmp", remoteCidr: "10.50.0.0/24" },
          { protocol: "tcp", port: 3389, remoteCidr: "10.50.0.0/24" },
          { protocol: "tcp", port: 22, remoteGroupId: admins.securityGroupId, name: "admins" },
          { protocol: "tcp", fromPort: 6000, toPort: 6010, remoteSelf: true },
        ],
      });
      return { admins, desktops };
    });
    expect(run.errors).to.deep.equal([]);
    const component = run.byName("desktops");
    expect(component.type).to.equal("openstack-blueprints:index:SecurityProfile");
    const children = run.childrenOf(component.urn);
    expect(children.map((c) => c.name)).to.have.members([
      "desktops-group",
      "desktops-in-tcp-3389-10.50.0.0_24",
      "desktops-in-icmp-10.50.0.0_24",
      "desktops-in-tcp-22-group-admins",
      "desktops-in-tcp-6000-6010-self",
    ]);
    const group = run.byName("desktops-group");
    expect(group.inputs).to.include({
      name: "desktops",
      description: "thin clients to desktops",
      deleteDefaultRules: false,
    });
    const rdp = run.byName("desktops-in-tcp-3389-10.50.0.0_24");
    expect(rdp.type).to.equal(T.secGroupRule);
    expect(rdp.inputs).to.include({
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 3389,
      portRangeMax: 3389,
      remoteIpPrefix: "10.50.0.0/24",
    });
    expect(run.byName("desktops-in-tcp-22-group-admins").inputs.remoteGroupId).to.equal(run.byName("admins-group").id);
    expect(run.byName("desktops-in-tcp-6000-6010-self").inputs.remoteGroupId).to.equal(group.id);
    expect(await outputValue(run.value!.desktops.securityGroupId)).to.equal(group.id);
    expect(await outputValue(run.value!.desktops.ruleIds)).to.have.length(4);
  });

  it("refuses a world-open RDP rule before creating anything", async () => {
    const run = await harness.runProgram(
      () => new SecurityProfile("open", { rules: [{ protocol: "tcp", port: 3389, remoteCidr: "0.0.0.0/0" }] }),
    );
    expect(run.thrown?.message).to.match(
      /SecurityProfile open: invalid arguments:\n  - rules\[0\].remoteCidr: "0.0.0.0\/0" opens RDP \(3389\)/,
    );
    expect(run.resources.filter((r) => r.custom)).to.have.length(0);
  });

  it("removing one rule leaves the other rules' names untouched", async () => {
    const names = async (rules: { protocol: string; port: number; remoteCidr: string }[]) => {
      const run = await harness.runProgram(() => new SecurityProfile("web", { rules }));
      return run.byType(T.secGroupRule).map((r) => r.name);
    };
    const before = await names([
      { protocol: "tcp", port: 80, remoteCidr: "10.0.0.0/8" },
      { protocol: "tcp", port: 443, remoteCidr: "10.0.0.0/8" },
    ]);
    const after = await names([{ protocol: "tcp", port: 443, remoteCidr: "10.0.0.0/8" }]);
    expect(before).to.include(after[0]);
  });
});
