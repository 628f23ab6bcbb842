// Unit test of the program above with the components' test kit: no cloud, no Pulumi engine.
import * as assert from "node:assert/strict";
import { OPENSTACK, outputOf, setBlueprintsMocks, BlueprintsMocks } from "@openstack-blueprints/components/testing";

describe("the office program", function () {
  let cloud: BlueprintsMocks;
  let program: typeof import("../index");

  before(async () => {
    cloud = await setBlueprintsMocks(); // before the program is loaded
    program = await import("../index");
  });

  it("gives each employee a desktop on the office network", async () => {
    const addresses = await outputOf(program.desktopAddresses);
    assert.deepEqual(Object.keys(addresses).sort(), ["alice", "bob"]);
    for (const address of Object.values(addresses)) assert.match(address, /^10\.20\.0\.\d+$/);
    assert.equal(cloud.byType(OPENSTACK.instance).length, 2);
  });

  it("opens SSH to the admin hosts only from the admin block", async () => {
    await outputOf(program.adminSecurityGroupId);
    const ssh = cloud.byType(OPENSTACK.secGroupRule).filter((r) => r.inputs.portRangeMin === 22);
    assert.ok(ssh.length > 0);
    for (const rule of ssh) assert.equal(rule.inputs.remoteIpPrefix, "192.168.60.0/28");
  });
});
