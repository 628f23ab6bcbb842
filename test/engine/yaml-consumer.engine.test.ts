/**
 * The YAML consumer (examples/yaml-consumer) through the real engine on minicloud: a Pulumi YAML
 * program that uses this repository's components as a source-based Pulumi package
 * (packages/components/plugin). This is what a team that writes its infrastructure in YAML
 * runs: the YAML language host (scripts/engine/build-yaml-host.sh) runs the program, the engine
 * starts the package through the Node.js language host's RunPlugin, and the components'
 * provider builds the OpenStack resources — a small firm's office network and an RDP-only
 * security profile. Preview, up, an `up` that changes nothing, destroy; the OpenStack APIs are
 * asked what was made and, at the end, that nothing is left.
 */
import { expect } from "chai";
import * as path from "node:path";
import { changes, CloudResource, REPO_ROOT, urnType } from "./pulumi-engine";
import { leftovers } from "./cloud-checks";
import { useMinicloudStack } from "./minicloud-stack";

const CLOUD = "minicloud-a";

describe("real engine: the YAML consumer on minicloud (preview, up, no-op up, destroy)", function () {
  this.timeout(30 * 60_000);
  const t = useMinicloudStack({
    cloud: CLOUD,
    yamlHost: true,
    stack: () => ({ programDir: path.join(REPO_ROOT, "examples", "yaml-consumer"), runName: "example-yaml-consumer" }),
  });
  let ids: CloudResource[] = [];

  it("preview plans the two components and their OpenStack resources as creates", async () => {
    const preview = await t.stack.preview();
    expect(Object.keys(changes(preview.changeSummary))).to.deep.equal(["create"]);
    const types = preview.steps.map((s) => urnType(s.urn));
    expect(types).to.include.members([
      "openstack-blueprints:index:PrivateNetwork",
      "openstack-blueprints:index:SecurityProfile",
      "openstack:networking/network:Network",
      "openstack:networking/subnet:Subnet",
      "openstack:networking/router:Router",
      "openstack:networking/secGroup:SecGroup",
      "openstack:networking/secGroupRule:SecGroupRule",
    ]);
  });

  it("up creates them: the network and the RDP rule are in the cloud", async () => {
    const up = await t.stack.up();
    expect(changes(up.summary)).to.have.keys("create");
    ids = await t.stack.cloudResources();
    const out = (await t.stack.outputs()) as Record<string, string>;
    const network = await t.client.neutron.getNetwork(out.networkId);
    expect(network, `network ${out.networkId} in Neutron`).not.to.equal(undefined);
    const [subnet] = await t.client.neutron.listSubnets({ id: out.subnetId });
    expect(subnet?.cidr).to.equal("192.168.50.0/24");
    const rules = await t.client.neutron.listSecurityGroupRules({ security_group_id: out.securityGroupId });
    const rdp = rules.filter((r) => r.direction === "ingress" && r.protocol === "tcp");
    expect(rdp.map((r) => [r.port_range_min, r.port_range_max, r.remote_ip_prefix])).to.deep.equal([
      [3389, 3389, "192.168.50.0/24"],
    ]);
    expect(out.routerGateway, "the router's external gateway IP").to.match(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("a second up changes nothing", async () => {
    const up = await t.stack.up();
    expect(changes(up.summary)).to.deep.equal({});
  });

  it("destroy removes everything: the APIs show none of the stack's resources", async () => {
    expect(ids.length).to.be.greaterThan(0);
    const destroyed = await t.stack.destroy();
    expect(changes(destroyed.summary)).to.have.keys("delete");
    expect(await leftovers(t.client, ids)).to.deep.equal([]);
  });
});
