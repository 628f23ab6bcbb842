/**
 * The TypeScript consumer through the real engine, installed from the packed tarballs: a
 * company's own Pulumi project (examples/typescript-consumer, whose program is the README's "Use
 * it in your own program" section) in a folder outside the repository, with our packages
 * installed from `npm pack` tarballs (test/packaging/consumer-project.ts; the packaging test
 * type-checks it and runs its unit tests with the shipped test kit). Here the real engine runs
 * it in place on minicloud: the Node.js language host loads the program with the project's own
 * @pulumi/pulumi and our compiled dist/, the desktop credentials' dynamic provider loads its
 * module from the installed package. Preview, up, an `up` that changes nothing, destroy; the
 * OpenStack APIs are asked what was made and, at the end, that nothing is left.
 *
 * minicloud's compute driver is Nova's fake driver here: the desktops' servers become ACTIVE,
 * nothing boots in them. Run it under `flock -s /tmp/minicloud.lock`.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { installedConsumer } from "../packaging/consumer-project";
import { changes, CloudResource, REPO_ROOT, urnType } from "./pulumi-engine";
import { leftovers } from "./cloud-checks";
import { useMinicloudStack } from "./minicloud-stack";

const CLOUD = "minicloud-a";

describe("real engine: the TypeScript consumer from the packed tarballs on minicloud (preview, up, no-op up, destroy)", function () {
  this.timeout(30 * 60_000);
  const t = useMinicloudStack({
    cloud: CLOUD,
    images: ["debian-12"],
    stack: () => {
      const started = Date.now();
      const project = installedConsumer().project;
      console.log(`    installed consumer ready after ${Math.round((Date.now() - started) / 1000)} s`);
      // Nothing of the repository can be resolved from the project: no workspace link, no
      // node_modules above it.
      expect(path.relative(REPO_ROOT, project).startsWith(".."), project).to.equal(true);
      expect(
        fs.lstatSync(path.join(project, "node_modules/@openstack-blueprints/components")).isSymbolicLink(),
      ).to.equal(false);
      return { programDir: project, inPlace: true, runName: "typescript-consumer" };
    },
  });
  let ids: CloudResource[] = [];

  it("preview plans the program's components and their OpenStack resources as creates", async () => {
    const preview = await t.stack.preview();
    console.log(`    preview: ${preview.ms} ms`);
    expect(Object.keys(changes(preview.changeSummary))).to.deep.equal(["create"]);
    expect(preview.steps.map((s) => urnType(s.urn))).to.include.members([
      "openstack-blueprints:index:PrivateNetwork",
      "openstack-blueprints:index:SecurityProfile",
      "openstack-blueprints:index:ThinClientDesktopPool",
      "openstack:networking/network:Network",
      "openstack:networking/secGroupRule:SecGroupRule",
      "openstack:compute/instance:Instance",
    ]);
  });

  it("up creates them: the office network, the admin SSH rule and a desktop per employee on it", async () => {
    const up = await t.stack.up();
    console.log(`    up: ${up.ms} ms`);
    expect(changes(up.summary)).to.have.keys("create");
    ids = await t.stack.cloudResources();
    const out = (await t.stack.outputs()) as {
      networkId: string;
      adminSecurityGroupId: string;
      desktopAddresses: Record<string, string>;
    };
    expect(await t.client.neutron.getNetwork(out.networkId), `network ${out.networkId} in Neutron`).not.to.equal(
      undefined,
    );
    const rules = await t.client.neutron.listSecurityGroupRules({ security_group_id: out.adminSecurityGroupId });
    const ssh = rules.filter((r) => r.direction === "ingress" && r.protocol === "tcp");
    expect(ssh.map((r) => [r.port_range_min, r.port_range_max, r.remote_ip_prefix])).to.deep.equal([
      [22, 22, "192.168.60.0/28"],
    ]);
    expect(Object.keys(out.desktopAddresses).sort()).to.deep.equal(["alice", "bob"]);
    const servers = ids.filter((r) => r.type === "openstack:compute/instance:Instance");
    expect(servers).to.have.length(2);
    const addresses: string[] = [];
    for (const { id } of servers) {
      const server = await t.client.nova.getServer(id);
      expect(server.status, server.name).to.equal("ACTIVE");
      addresses.push(...Object.values(server.addresses).flatMap((a) => a.map((x) => x.addr)));
    }
    expect(addresses.sort()).to.deep.equal(Object.values(out.desktopAddresses).sort());
    for (const address of addresses) expect(address).to.match(/^10\.20\.0\.\d+$/);
  });

  it("a second up changes nothing", async () => {
    const up = await t.stack.up();
    console.log(`    no-op up: ${up.ms} ms`);
    expect(changes(up.summary)).to.deep.equal({});
  });

  it("destroy removes everything: the APIs show none of the stack's resources", async () => {
    expect(ids.length).to.be.greaterThan(0);
    const destroyed = await t.stack.destroy();
    console.log(`    destroy: ${destroyed.ms} ms`);
    expect(changes(destroyed.summary)).to.have.keys("delete");
    expect(await leftovers(t.client, ids)).to.deep.equal([]);
  });
});
