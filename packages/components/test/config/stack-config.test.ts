import { expect } from "chai";
import { z } from "zod";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, outputIsSecret, outputValue } from "@openstack-blueprints/test-harness";
import { loadStackConfig, StackConfigError } from "../../src/config/stack-config";
import { ipv4Cidr, linuxUserName, oneOf, portNumber } from "../../src/config/zod-types";

installMocks();

const schema = z.object({
  network: z.object({ cidr: ipv4Cidr, dns: z.array(z.string()).default([]) }).strict(),
  frontendPort: portNumber.default(50000),
  admin: linuxUserName,
  powerState: oneOf(["active", "shutoff", "shelved_offloaded"]).default("active"),
  adminPassword: z.string().min(12, { message: "is shorter than 12 characters" }),
});

function errorOf(raw: Record<string, string>): string {
  try {
    loadStackConfig(schema, { raw, secretKeys: ["adminPassword"] });
  } catch (e) {
    expect(e).to.be.instanceOf(StackConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a StackConfigError");
}

describe("stack configuration (zod)", () => {
  const good = {
    network: JSON.stringify({ cidr: "192.168.1.0/24" }),
    admin: "alice",
    adminPassword: "correct-horse-battery",
  };

  it("parses JSON values and plain strings and fills defaults", () => {
    const cfg = loadStackConfig(schema, { raw: good, secretKeys: ["adminPassword"] });
    expect(cfg.values).to.deep.equal({
      network: { cidr: "192.168.1.0/24", dns: [] },
      frontendPort: 50000,
      admin: "alice",
      powerState: "active",
      adminPassword: "correct-horse-battery",
    });
  });

  it("names the key path, the bad value and what is allowed", () => {
    expect(errorOf({ ...good, network: JSON.stringify({ cidr: "192.168.1.0/33" }) })).to.contain(
      'openstack-blueprints:network.cidr: "192.168.1.0/33" is not an IPv4 CIDR',
    );
    expect(errorOf({ ...good, network: JSON.stringify({ cidr: "192.168.1.9/24" }) })).to.contain(
      'openstack-blueprints:network.cidr: "192.168.1.9/24" has host bits set; the network is 192.168.1.0/24',
    );
    expect(errorOf({ ...good, frontendPort: "70000" })).to.contain(
      "openstack-blueprints:frontendPort: 70000 is not a port number 1-65535",
    );
    expect(errorOf({ ...good, admin: "Alice" })).to.contain(
      'openstack-blueprints:admin: "Alice" is not a valid Linux user name',
    );
    expect(errorOf({ ...good, powerState: "paused" })).to.contain(
      'openstack-blueprints:powerState: "paused" is not one of "active", "shutoff", "shelved_offloaded"',
    );
    expect(errorOf({ ...good, netwrok: "x" })).to.contain("openstack-blueprints:netwrok: is not a known setting");
    expect(errorOf({ ...good, network: JSON.stringify({ cidr: "10.0.0.0/8", dsn: [] }) })).to.contain(
      'openstack-blueprints:network: has unknown setting(s) "dsn"',
    );
    const { admin: _a, ...noAdmin } = good;
    expect(errorOf(noAdmin)).to.contain(
      "openstack-blueprints:admin: is required; set it with `pulumi config set openstack-blueprints:admin <value>`",
    );
  });

  it("never prints a secret value, and returns it as a Pulumi secret", async () => {
    const message = errorOf({ ...good, adminPassword: "short-pw" });
    expect(message).to.contain("openstack-blueprints:adminPassword: [secret] is shorter than 12 characters");
    expect(message).not.to.contain("short-pw");
    const cfg = loadStackConfig(schema, { raw: good, secretKeys: ["adminPassword"] });
    const secret = cfg.secret("adminPassword");
    expect(await outputIsSecret(secret)).to.equal(true);
    expect(await outputValue(secret)).to.equal("correct-horse-battery");
    expect(() => cfg.secret("admin")).to.throw(/not declared in secretKeys/);
  });

  it("reads the running stack's config through pulumi.Config", () => {
    pulumi.runtime.setAllConfig(
      {
        "openstack-blueprints:network": JSON.stringify({ cidr: "10.1.0.0/16" }),
        "openstack-blueprints:admin": "bob",
        "openstack-blueprints:adminPassword": "a-long-enough-secret",
        "other:key": "ignored",
      },
      ["openstack-blueprints:adminPassword"],
    );
    try {
      const cfg = loadStackConfig(schema, { secretKeys: ["adminPassword"] });
      expect(cfg.values.network.cidr).to.equal("10.1.0.0/16");
      expect(cfg.values.admin).to.equal("bob");
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });
});
