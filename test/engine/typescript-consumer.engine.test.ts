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
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { installedConsumer } from "../packaging/consumer-project";
import { changes, EngineStack, REPO_ROOT, requireEngine, urnName, urnType } from "./pulumi-engine";
import { ensureNamedImage, leftovers } from "./cloud-checks";

const CLOUD = "minicloud-a";

describe("real engine: the TypeScript consumer from the packed tarballs on minicloud (preview, up, no-op up, destroy)", function () {
  this.timeout(30 * 60_000);
  let client: OpenStackClient;
  let stack: EngineStack;
  let project: string;
  let ids: Array<{ type: string; id: string; name: string }> = [];

  before(async function () {
    const bin = requireEngine(this);
    await requireMinicloud(this);
    const started = Date.now();
    project = installedConsumer().project;
    console.log(`    installed consumer ready after ${Math.round((Date.now() - started) / 1000)} s`);
    // Nothing of the repository can be resolved from the project: no workspace link, no
    // node_modules above it.
    expect(path.relative(REPO_ROOT, project).startsWith(".."), project).to.equal(true);
    expect(fs.lstatSync(path.join(project, "node_modules/@openstack-blueprints/components")).isSymbolicLink()).to.equal(
      false,
    );
    client = await new OpenStackClient(loadCloud(CLOUD)).connect();
    await ensureNamedImage(client, "debian-12");
    stack = new EngineStack(bin, {
      programDir: project,
      inPlace: true,
      runName: "typescript-consumer",
      cloud: CLOUD,
    });
    await stack.init();
  });

  after(async function () {
    // A failed test still tears the stack down, so the next run starts clean.
    if (stack) {
      const state = await stack.exportState().catch(() => undefined);
      if (state?.deployment.resources?.some((r) => r.id)) await stack.run(["destroy", "--yes", "--skip-preview"]);
      await stack.remove();
    }
    client?.close();
  });

  it("preview plans the program's components and their OpenStack resources as creates", async () => {
    const preview = await stack.preview();
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
    const up = await stack.up();
    console.log(`    up: ${up.ms} ms`);
    expect(changes(up.summary)).to.have.keys("create");
    ids = await stateIds(stack);
    const out = (await stack.outputs()) as {
      networkId: string;
      adminSecurityGroupId: string;
      desktopAddresses: Record<string, string>;
    };
    expect(await client.neutron.getNetwork(out.networkId), `network ${out.networkId} in Neutron`).not.to.equal(
      undefined,
    );
    const rules = await client.neutron.listSecurityGroupRules({ security_group_id: out.adminSecurityGroupId });
    const ssh = rules.filter((r) => r.direction === "ingress" && r.protocol === "tcp");
    expect(ssh.map((r) => [r.port_range_min, r.port_range_max, r.remote_ip_prefix])).to.deep.equal([
      [22, 22, "192.168.60.0/28"],
    ]);
    expect(Object.keys(out.desktopAddresses).sort()).to.deep.equal(["alice", "bob"]);
    const servers = ids.filter((r) => r.type === "openstack:compute/instance:Instance");
    expect(servers).to.have.length(2);
    const addresses: string[] = [];
    for (const { id } of servers) {
      const server = await client.nova.getServer(id);
      expect(server.status, server.name).to.equal("ACTIVE");
      addresses.push(...Object.values(server.addresses).flatMap((a) => a.map((x) => x.addr)));
    }
    expect(addresses.sort()).to.deep.equal(Object.values(out.desktopAddresses).sort());
    for (const address of addresses) expect(address).to.match(/^10\.20\.0\.\d+$/);
  });

  it("a second up changes nothing", async () => {
    const up = await stack.up();
    console.log(`    no-op up: ${up.ms} ms`);
    expect(changes(up.summary)).to.deep.equal({});
  });

  it("destroy removes everything: the APIs show none of the stack's resources", async () => {
    expect(ids.length).to.be.greaterThan(0);
    const destroyed = await stack.destroy();
    console.log(`    destroy: ${destroyed.ms} ms`);
    expect(changes(destroyed.summary)).to.have.keys("delete");
    expect(await leftovers(client, ids)).to.deep.equal([]);
  });
});

/** The OpenStack resources in the stack's state (type, ID, name), for the leftover check. */
async function stateIds(stack: EngineStack): Promise<Array<{ type: string; id: string; name: string }>> {
  const state = await stack.exportState();
  return (state.deployment.resources ?? [])
    .filter((r) => r.id && r.type.startsWith("openstack:"))
    .map((r) => ({ type: r.type, id: r.id!, name: urnName(r.urn) }));
}
