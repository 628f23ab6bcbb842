import { expect } from "chai";
import * as openstack from "@pulumi/openstack";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  installMocks,
  T,
  type RecordedResource,
  stackResourcesOf,
  validateResources,
  validateStackOf,
} from "@openstack-blueprints/test-harness";
import {
  WORLD_OPEN_MARKER,
  floatingIpsOnRoutedSubnets,
  noPlainPasswordsInUserData,
  noWorldOpenAdminIngress,
  policies,
  securityGroupsOnPorts,
  userDataWithinNovaLimit,
  worldOpenExposure,
} from "../src/policies";
import { WORLD_OPEN_MARKER as COMPONENT_MARKER } from "@openstack-blueprints/components/internal";
import { publicBastion, type BastionOptions } from "./programs";

const harness = installMocks();

async function recorded(options: BastionOptions = {}): Promise<RecordedResource[]> {
  const run = await harness.runProgram(() => publicBastion(options));
  expect(run.thrown, run.thrown?.message).to.equal(undefined);
  expect(run.errors.map((e) => e.message)).to.deep.equal([]);
  return run.resources;
}

/** A hand-made resource record for what no component produces (raw inputs). */
function rawResource(type: string, name: string, inputs: Record<string, any>): RecordedResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::openstack-blueprints::${type}::${name}`,
    id: `id-${name}`,
    custom: true,
    inputs,
    state: {},
    parent: "",
    dependencies: [],
    secretPaths: [],
    additionalSecretOutputs: [],
    replaceOnChanges: [],
    ignoreChanges: [],
    deleteBeforeReplace: false,
    retainOnDelete: false,
    protect: false,
    deletedWith: "",
    provider: "",
    customTimeouts: {},
    order: 0,
  };
}

const messages = async (policy: ResourceValidationPolicy, records: RecordedResource[]) =>
  (await validateResources(policy, records)).map((v) => v.message);

describe("policy pack", () => {
  it("has five uniquely named, mandatory policies", () => {
    expect(policies.map((p) => p.name)).to.have.members([
      "no-world-open-admin-ingress",
      "no-plain-passwords-in-user-data",
      "user-data-within-nova-limit",
      "security-groups-on-ports",
      "floating-ips-on-routed-subnets",
    ]);
    expect(new Set(policies.map((p) => p.name)).size).to.equal(policies.length);
    for (const p of policies) expect(p.enforcementLevel).to.equal("mandatory");
  });

  it("every policy accepts the whole recorded bastion program", async () => {
    const records = await recorded();
    for (const p of policies) {
      const violations =
        "validateStack" in p
          ? await validateStackOf(p, records)
          : await validateResources(p as ResourceValidationPolicy, records);
      expect(violations, p.name).to.deep.equal([]);
    }
  });

  describe("no-world-open-admin-ingress", () => {
    it("uses the same opt-in marker SecurityProfile writes for allowFromAnywhere", async () => {
      expect(COMPONENT_MARKER).to.equal(WORLD_OPEN_MARKER);
      const rules = (await recorded()).filter((r) => r.type === T.secGroupRule);
      const ssh = rules.find((r) => r.inputs.portRangeMin === 22)!;
      expect(ssh.inputs.remoteIpPrefix).to.equal("0.0.0.0/0");
      expect(ssh.inputs.description).to.contain(WORLD_OPEN_MARKER);
    });

    it("rejects world-open SSH, RDP and all-port rules from a real program without the marker", async () => {
      const run = await harness.runProgram(() => {
        const group = new openstack.networking.SecGroup("raw", { name: "raw" });
        const rule = (name: string, args: Partial<openstack.networking.SecGroupRuleArgs>) =>
          new openstack.networking.SecGroupRule(name, {
            securityGroupId: group.id,
            direction: "ingress",
            ethertype: "IPv4",
            ...args,
          });
        rule("ssh-world", { protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" });
        rule("rdp-range-world", {
          protocol: "tcp",
          portRangeMin: 3000,
          portRangeMax: 4000,
          remoteIpPrefix: "0.0.0.0/0",
        });
        rule("all-tcp-world", { protocol: "tcp", remoteIpPrefix: "0.0.0.0/0" });
        rule("no-remote", { protocol: "udp", portRangeMin: 3389, portRangeMax: 3389 });
        rule("https-world", { protocol: "tcp", portRangeMin: 443, portRangeMax: 443, remoteIpPrefix: "0.0.0.0/0" });
        rule("ssh-lan", { protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "192.168.1.0/24" });
        const other = new openstack.networking.SecGroup("raw-bastion", { name: "raw-bastion" });
        new openstack.networking.SecGroupRule("ssh-world-intended", {
          securityGroupId: other.id,
          direction: "ingress",
          ethertype: "IPv4",
          protocol: "tcp",
          portRangeMin: 22,
          portRangeMax: 22,
          remoteIpPrefix: "0.0.0.0/0",
          description: `jump host ${WORLD_OPEN_MARKER}`,
        });
        rule("ssh-world-egress", {
          direction: "egress",
          protocol: "tcp",
          portRangeMin: 22,
          portRangeMax: 22,
          remoteIpPrefix: "0.0.0.0/0",
        });
        rule("icmp-world", { protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" });
      });
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      // The harness's Neutron models IPv4 only; an IPv6 rule is added as raw inputs.
      const records = [
        ...run.resources,
        rawResource(T.secGroupRule, "any-v6", { direction: "ingress", ethertype: "IPv6", remoteIpPrefix: "::/0" }),
      ];
      const violations = await validateResources(noWorldOpenAdminIngress, records);
      const flagged = violations.map((v) => records.find((r) => r.urn === v.urn)!.name);
      expect(flagged).to.have.members(["ssh-world", "rdp-range-world", "all-tcp-world", "any-v6", "no-remote"]);
      expect(violations.find((v) => v.urn!.endsWith("ssh-world"))!.message)
        .to.contain("SSH (22) from 0.0.0.0/0")
        .and.contain(WORLD_OPEN_MARKER);
      expect(violations.find((v) => v.urn!.endsWith("rdp-range-world"))!.message).to.contain("RDP (3389)");
      expect(violations.find((v) => v.urn!.endsWith("any-v6"))!.message).to.contain(
        "all protocols and ports from ::/0",
      );
    });

    it("reads protocol numbers as Neutron does", () => {
      expect(
        worldOpenExposure({ protocol: "6", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" }),
      ).to.contain("SSH");
      expect(
        worldOpenExposure({ protocol: "17", portRangeMin: 53, portRangeMax: 53, remoteIpPrefix: "0.0.0.0/0" }),
      ).to.equal(undefined);
    });
  });

  describe("no-plain-passwords-in-user-data", () => {
    it("accepts hashed passwords and key-only SSH (the recorded bastion)", async () => {
      expect(
        await messages(
          noPlainPasswordsInUserData,
          await recorded({
            userData: {
              chpasswd: {
                expire: false,
                users: [
                  { name: "ops", password: "$6$salt$hash", type: "hash" },
                  { name: "x", password: "RANDOM", type: "RANDOM" },
                ],
              },
            },
          }),
        ),
      ).to.deep.equal([]);
    });

    it("rejects ssh_pwauth, plain_text_passwd, non-hashed passwd, password and chpasswd plain passwords", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ ssh_pwauth: true }, "ssh_pwauth: true"],
        [{ users: [{ name: "kiosk", plain_text_passwd: "hunter2" }] }, "users[0] (kiosk).plain_text_passwd"],
        [{ users: [{ name: "kiosk", passwd: "hunter2" }] }, "users[0] (kiosk).passwd: is not a crypt hash"],
        [{ password: "hunter2" }, "password: sets the default user's password in plain text"],
        [{ chpasswd: { list: "root:hunter2\nops:R\n" } }, "chpasswd.list[0] (root)"],
        [{ chpasswd: { list: ["root:$6$salt$x", "kiosk:hunter2"] } }, "chpasswd.list[1] (kiosk)"],
        [{ chpasswd: { users: [{ name: "kiosk", password: "hunter2", type: "text" }] } }, "chpasswd.users[0] (kiosk)"],
        [{ chpasswd: { users: [{ name: "kiosk", password: "hunter2" }] } }, "chpasswd.users[0] (kiosk)"],
      ];
      for (const [doc, expected] of cases) {
        const found = await messages(noPlainPasswordsInUserData, await recorded({ userData: doc }));
        expect(found, JSON.stringify(doc)).to.have.length(1);
        expect(found[0], JSON.stringify(doc)).to.contain(expected);
        expect(found[0]).not.to.contain("hunter2");
      }
    });

    it("parses base64-encoded user data and ignores shell-script user data", async () => {
      const encoded = Buffer.from("#cloud-config\nssh_pwauth: yes\n").toString("base64");
      expect(
        await messages(noPlainPasswordsInUserData, [rawResource(T.instance, "b64", { userData: encoded })]),
      ).to.have.length(1);
      expect(
        await messages(noPlainPasswordsInUserData, [
          rawResource(T.instance, "sh", { userData: "#!/bin/sh\necho hi\n" }),
        ]),
      ).to.deep.equal([]);
      expect(
        (
          await messages(noPlainPasswordsInUserData, [
            rawResource(T.instance, "bad", { userData: "#cloud-config\nusers: [\n" }),
          ])
        )[0],
      ).to.contain("not valid YAML");
    });
  });

  describe("user-data-within-nova-limit", () => {
    it("accepts 49149 bytes (65532 base64) and rejects 49150 bytes (65536 base64)", async () => {
      const at = (n: number) => "#cloud-config\n" + "#".repeat(n - "#cloud-config\n".length);
      expect(
        await messages(userDataWithinNovaLimit, [rawResource(T.instance, "fits", { userData: at(49149) })]),
      ).to.deep.equal([]);
      const over = await messages(userDataWithinNovaLimit, [rawResource(T.instance, "over", { userData: at(49150) })]);
      expect(over).to.have.length(1);
      expect(over[0]).to.contain("65536 base64 characters").and.contain("65535");
      // The harness's Nova refuses the same document, so the policy and the cloud agree.
      const run = await harness.runProgram(
        () =>
          new openstack.compute.Instance("big", {
            flavorName: "m1.small",
            imageName: "debian-12",
            userData: at(49150),
          }),
      );
      expect(run.errors.map((e) => e.message).join()).to.contain("longer than 65535");
    });
  });

  describe("security-groups-on-ports", () => {
    it("rejects an instance carrying security groups and accepts groups on its port", async () => {
      expect(await messages(securityGroupsOnPorts, await recorded())).to.deep.equal([]);
      const found = await messages(securityGroupsOnPorts, await recorded({ groupsOnInstance: true }));
      expect(found).to.have.length(1);
      expect(found[0])
        .to.contain('instance bastion sets securityGroups ["bastion-ssh"]')
        .and.contain("networking.Port");
    });
  });

  describe("floating-ips-on-routed-subnets", () => {
    it("rejects the association when the subnet's router interface is missing", async () => {
      const records = (await recorded()).filter((r) => r.type !== T.routerInterface);
      const violations = await validateStackOf(floatingIpsOnRoutedSubnets, records);
      expect(violations).to.have.length(1);
      expect(violations[0].message).to.contain(
        "port bastion-port is on subnet edge-subnet, which is attached to no router",
      );
      expect(violations[0].urn).to.match(/bastion-fip-assoc$/);
    });

    it("rejects the association when the router has no external gateway", async () => {
      const resources = stackResourcesOf(await recorded());
      const router = resources.find((r) => r.type === T.router)!;
      delete router.props.externalNetworkId;
      const violations = await validateStackOf(floatingIpsOnRoutedSubnets, resources);
      expect(violations.map((v) => v.message)).to.deep.equal([
        "floating IP bastion-fip-assoc: port bastion-port is on subnet edge-subnet, whose router edge-router has no external gateway (externalNetworkId), so Neutron refuses the floating IP. Give the router an external network.",
      ]);
    });

    it("follows IDs when a dependency edge is missing, and accepts ports outside the stack", async () => {
      const resources = stackResourcesOf(await recorded());
      const assoc = resources.find((r) => r.type === T.floatingIpAssociate)!;
      assoc.dependencies = [];
      expect(await validateStackOf(floatingIpsOnRoutedSubnets, resources)).to.deep.equal([]);
      const ri = resources.find((r) => r.type === T.routerInterface)!;
      const withoutRi = resources.filter((r) => r !== ri);
      expect(await validateStackOf(floatingIpsOnRoutedSubnets, withoutRi)).to.have.length(1);
      const external = [
        rawResource(T.floatingIpAssociate, "to-existing-port", {
          portId: "port-made-elsewhere",
          floatingIp: "172.24.4.9",
        }),
      ];
      expect(await validateStackOf(floatingIpsOnRoutedSubnets, external)).to.deep.equal([]);
    });
  });
});
