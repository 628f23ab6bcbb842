// Every stack in stacks/ that has desktops: the sources its security group admits (thin clients
// for RDP/Jupyter, the admin for SSH) can reach the desktops on the network and cloud the stack
// declares. A small firm's office once shipped with RDP allowed only from the desktops' own subnet
// and no floating IPs: it passed every other test and nobody in the office could log in.
import { expect } from "chai";
import { StackConfigError, desktopReachabilityProblems, loadStackConfig } from "@openstack-blueprints/components";
import {
  composeEnvironment,
  listStacks,
  readStackFile,
  rootConfigSchema,
  secretConfigKeys,
  stackFilePath,
  stackReachabilityProblems,
} from "@openstack-blueprints/environments";
import { STACKS_DIR } from "@openstack-blueprints/test-harness/src/stack-runner";

const NS = "openstack-blueprints";

/** The stack file's values as the root program validates them (secrets as placeholders). */
function stackRaw(stack: string): Record<string, string> {
  const { config } = readStackFile(stackFilePath(STACKS_DIR, stack));
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(`${NS}:`))
      .map(([k, v]) => [k.slice(NS.length + 1), v]),
  );
}
function stackValues(raw: Record<string, string>): Record<string, unknown> {
  return loadStackConfig(rootConfigSchema(), { secretKeys: secretConfigKeys(), raw }).values;
}
/** A copy of a stack's raw config with one block's value changed. */
function edited(raw: Record<string, string>, key: string, change: (v: any) => void): Record<string, string> {
  const value = JSON.parse(raw[key]);
  change(value);
  return { ...raw, [key]: JSON.stringify(value) };
}

describe("reachability of the desktops in every stack", () => {
  const withDesktops = listStacks(STACKS_DIR).filter((s) => stackRaw(s).desktops !== undefined);

  it("covers the stacks that have desktops", () => {
    expect(withDesktops).to.include.members(["local", "notebooks", "office"]);
  });

  for (const stack of withDesktops) {
    it(`${stack}: every RDP/Jupyter/SSH source reaches the desktops`, () => {
      expect(stackReachabilityProblems(stackValues(stackRaw(stack)))).to.deep.equal([]);
    });
  }

  it("office: thin clients on the desktops' own subnet without floating IPs are refused (the day-one bug)", () => {
    const raw = edited(stackRaw("office"), "desktops", (d) => {
      d.thinClientCidr = "192.168.50.0/24";
      delete d.floatingIpPool;
    });
    const problems = stackReachabilityProblems(stackValues(raw));
    expect(problems.join("\n")).to.contain(
      `${NS}:desktops.thinClientCidr = 192.168.50.0/24 (RDP (3389)) is inside the desktops' own subnet 192.168.50.0/24 (${NS}:networks.office.cidr)`,
    );
    // `pulumi up` refuses it before any block deploys.
    expect(() => composeEnvironment({ raw })).to.throw(StackConfigError, /inside the desktops' own subnet/);
  });

  it("office: floating IPs that live only on the DevStack host (NATed, no publicInterface) are refused", () => {
    const raw = edited(stackRaw("office"), "devstack", (d) => {
      delete d.publicInterface;
      d.floatingRange = "172.24.4.0/24";
      delete d.publicNetworkGateway;
      delete d.floatingAllocationStart;
      delete d.floatingAllocationEnd;
    });
    expect(stackReachabilityProblems(stackValues(raw)).join("\n")).to.contain(
      `${NS}:devstack.floatingRange = 172.24.4.0/24 exists only on the DevStack host`,
    );
  });

  it("notebooks: a campus block that is not on the floating LAN is refused unless declared routed", () => {
    const raw = edited(stackRaw("notebooks"), "desktops", (d) => {
      d.thinClientCidr = "172.16.0.0/16";
    });
    expect(stackReachabilityProblems(stackValues(raw)).join("\n")).to.contain(
      `${NS}:desktops.thinClientCidr = 172.16.0.0/16 (Jupyter (8888)) is not on the LAN the floating IPs come from (${NS}:devstack.floatingRange = 10.40.0.0/16)`,
    );
    const routed = edited(raw, "desktops", (d) => {
      d.thinClientsRouted = true;
    });
    expect(stackReachabilityProblems(stackValues(routed))).to.deep.equal([]);
  });

  it("local: without floating IPs the desktops are reached only through a declared route", () => {
    const raw = edited(stackRaw("local"), "desktops", (d) => {
      delete d.floatingIpPool;
    });
    expect(stackReachabilityProblems(stackValues(raw)).join("\n")).to.contain(
      "they have no floating IPs, and nothing routes 172.24.4.0/24 to their subnet 10.30.0.0/24",
    );
  });

  it("checks the admin's SSH source as well", () => {
    expect(
      desktopReachabilityProblems({
        tenantCidr: "10.1.0.0/24",
        tenantField: "net",
        floatingIps: true,
        floatingNetwork: { field: "fr", range: "192.168.8.0/22", onLan: true },
        sources: [
          { field: "thin", cidr: "192.168.8.0/22", service: "RDP (3389)" },
          { field: "admin", cidr: "10.1.0.0/28", service: "SSH (22)" },
        ],
      }),
    )
      .to.have.length(1)
      .and.satisfy((p: string[]) => p[0].startsWith("admin = 10.1.0.0/28 (SSH (22)) is inside"));
  });
});
