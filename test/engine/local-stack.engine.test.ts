/**
 * The root program's `local` stack (stacks/Pulumi.local.yaml) through the real engine on
 * minicloud: networks, ten desktops and the two-tier calculator, then one more employee, then
 * destroy. (The stack has no migration: see its file.)
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { leftovers } from "./cloud-checks";
import { useMinicloudStack } from "./minicloud-stack";
import { changes, CloudResource, REPO_ROOT, urnName, urnType } from "./pulumi-engine";

describe("real engine: the local stack on minicloud", function () {
  this.timeout(40 * 60_000);
  const t = useMinicloudStack({
    cloud: "minicloud-a",
    images: ["debian-12"],
    stack: () => {
      const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks/Pulumi.local.yaml"), "utf8")) as {
        config: Record<string, unknown>;
      };
      return { programDir: REPO_ROOT, inPlace: true, runName: "engine-local", stackFileConfig: { ...file.config } };
    },
  });
  let ids: CloudResource[] = [];

  it("preview, up: ten desktops and the calculator's five servers exist in Nova", async () => {
    const preview = await t.stack.preview();
    expect(Object.keys(changes(preview.changeSummary))).to.deep.equal(["create"]);
    const up = await t.stack.up();
    expect(changes(up.summary)).to.have.keys("create");
    ids = await t.stack.cloudResources();
    const servers = ids.filter((r) => r.type === "openstack:compute/instance:Instance");
    expect(servers).to.have.length(15);
    for (const s of servers) expect((await t.client.nova.getServer(s.id)).status).to.equal("ACTIVE");
  });

  it("a second up changes nothing, and a refresh finds no drift", async () => {
    expect(changes((await t.stack.up()).summary)).to.deep.equal({});
    expect(changes((await t.stack.refreshPreview()).changeSummary)).to.deep.equal({});
  });

  it("one more employee: credential, TLS certificate, port, desktop and floating IP for the eleventh only", async () => {
    const file = t.stack.stackFile();
    const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, { employeeCount: number }> };
    doc.config["openstack-blueprints:desktops"].employeeCount = 11;
    fs.writeFileSync(file, stringify(doc));
    const preview = await t.stack.preview();
    const touched = preview.steps
      .filter((s) => s.op !== "same" && urnType(s.urn) !== "pulumi:pulumi:Stack")
      .map((s) => `${s.op} ${urnName(s.urn)}`);
    expect(
      touched.every((t) => /^create .*-trial11-/.test(t)),
      touched.join(", "),
    ).to.equal(true);
    expect(changes(preview.changeSummary)).to.deep.equal({ create: 5 });
    expect(changes((await t.stack.up()).summary)).to.deep.equal({ create: 5 });
    ids = await t.stack.cloudResources();
  });

  it("destroy leaves nothing of the stack in the cloud", async () => {
    expect(changes((await t.stack.destroy()).summary)).to.have.keys("delete");
    expect(await leftovers(t.client, ids)).to.deep.equal([]);
  });
});
