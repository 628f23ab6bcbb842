/**
 * The root program's `local` stack (stacks/Pulumi.local.yaml) through the real engine on
 * minicloud: networks, ten desktops and the two-tier calculator, then one more employee, then
 * destroy. (The stack has no migration: see its file.)
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { ensureNamedImage, leftovers } from "./cloud-checks";
import { changes, EngineStack, REPO_ROOT, requireEngine, urnName, urnType } from "./pulumi-engine";

describe("real engine: the local stack on minicloud", function () {
  this.timeout(40 * 60_000);
  let stack: EngineStack;
  let client: OpenStackClient;
  let ids: Array<{ type: string; id: string; name: string }> = [];

  before(async function () {
    const bin = requireEngine(this);
    await requireMinicloud(this);
    client = await new OpenStackClient(loadCloud("minicloud-a")).connect();
    await ensureNamedImage(client, "debian-12");
    const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks/Pulumi.local.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const config = { ...file.config };
    stack = new EngineStack(bin, {
      programDir: REPO_ROOT,
      inPlace: true,
      runName: "engine-local",
      cloud: "minicloud-a",
      stackFileConfig: config,
    });
    await stack.init();
  });

  after(async function () {
    if (stack) {
      const state = await stack.exportState().catch(() => undefined);
      if (state?.deployment.resources?.some((r) => r.id)) await stack.run(["destroy", "--yes", "--skip-preview"]);
      await stack.remove();
    }
    client?.close();
  });

  async function stateIds() {
    const state = await stack.exportState();
    return (state.deployment.resources ?? [])
      .filter((r) => r.id && r.type.startsWith("openstack:"))
      .map((r) => ({ type: r.type, id: r.id!, name: urnName(r.urn) }));
  }

  it("preview, up: ten desktops and the calculator's five servers exist in Nova", async () => {
    const preview = await stack.preview();
    expect(Object.keys(changes(preview.changeSummary))).to.deep.equal(["create"]);
    const up = await stack.up();
    expect(changes(up.summary)).to.have.keys("create");
    ids = await stateIds();
    const servers = ids.filter((r) => r.type === "openstack:compute/instance:Instance");
    expect(servers).to.have.length(15);
    for (const s of servers) expect((await client.nova.getServer(s.id)).status).to.equal("ACTIVE");
  });

  it("a second up changes nothing, and a refresh finds no drift", async () => {
    expect(changes((await stack.up()).summary)).to.deep.equal({});
    expect(changes((await stack.refreshPreview()).changeSummary)).to.deep.equal({});
  });

  it("one more employee: credential, port, desktop and floating IP for the eleventh only", async () => {
    const file = stack.stackFile();
    const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, { employeeCount: number }> };
    doc.config["openstack-blueprints:desktops"].employeeCount = 11;
    const { stringify } = await import("yaml");
    fs.writeFileSync(file, stringify(doc));
    const preview = await stack.preview();
    const touched = preview.steps
      .filter((s) => s.op !== "same" && urnType(s.urn) !== "pulumi:pulumi:Stack")
      .map((s) => `${s.op} ${urnName(s.urn)}`);
    expect(
      touched.every((t) => /^create .*-trial11-/.test(t)),
      touched.join(", "),
    ).to.equal(true);
    expect(changes(preview.changeSummary)).to.deep.equal({ create: 4 });
    expect(changes((await stack.up()).summary)).to.deep.equal({ create: 4 });
    ids = await stateIds();
  });

  it("destroy leaves nothing of the stack in the cloud", async () => {
    expect(changes((await stack.destroy()).summary)).to.have.keys("delete");
    expect(await leftovers(client, ids)).to.deep.equal([]);
  });
});
