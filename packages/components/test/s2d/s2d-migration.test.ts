import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { allStrings, installMocks } from "@openstack-blueprints/test-harness";
import * as os from "node:os";
import { journalFileFor } from "@openstack-blueprints/s2d";
import { ComponentArgsError } from "../../src/errors";
import { migrationProvider, S2DMigration } from "../../src/s2d/s2d-migration";

const harness = installMocks();

// Under Pulumi's mocks the dynamic provider does not run (no engine here): these tests check
// what the component registers. The provider's create/read/delete are tested directly
// against minicloud in packages/s2d/test/integration.
describe("S2DMigration (under the mock harness)", () => {
  it("registers one dynamic migration run, parented, with credentials as secrets", async function () {
    this.timeout(60000);
    const run = await harness.runProgram(
      () =>
        new S2DMigration("web", {
          source: { authUrl: "http://a.example:5000/v3", username: "alice", password: "pw-A-secret", project: "demo" },
          target: { cloud: "minicloud-b" },
          sourceServer: "web-1",
          securityGroup: "web",
          floatingIp: "new",
          keypairMode: "copy",
          availabilityZone: "guests",
        }),
    );
    expect(run.errors).to.deep.equal([]);
    const component = run.byName("web");
    expect(component.type).to.equal("openstack-blueprints:index:S2DMigration");
    const child = run.byName("web-run");
    expect(child.parent).to.equal(component.urn);
    expect(child.type).to.equal("pulumi-nodejs:dynamic/s2d:S2DMigrationRun");
    expect(child.secretPaths).to.include.members(["source", "target"]);
    expect(child.additionalSecretOutputs).to.include.members(["source", "target"]);
    expect(child.inputs.server).to.deep.include({
      source: "web-1",
      securityGroup: "web",
      floatingIp: "new",
      stopSource: false,
      availabilityZone: "guests",
    });
    expect(child.inputs.server.keypair).to.deep.equal({ mode: "copy" });
    expect(child.inputs.retain).to.equal(false);
    expect(child.customTimeouts.create).to.equal("2h");
    // the password is inside a secret input only; nothing else carries it in plain text
    const plain = allStrings({ ...child.inputs, source: undefined, target: undefined, __provider: undefined });
    expect(plain.join("\n")).to.not.include("pw-A-secret");
    expect(typeof child.inputs.__provider).to.equal("string");
    expect(child.inputs.__provider).to.not.include("pw-A-secret");
    // The component's outputs are the run's outputs (an ES2022 field on the dynamic resource
    // class once reset them to undefined after super()).
    for (const key of [
      "targetServerId",
      "targetServerStatus",
      "addresses",
      "targetImageId",
      "floatingIp",
      "checksums",
    ] as const) {
      expect(pulumi.Output.isInstance(run.value![key]), key).to.equal(true);
    }
  });

  it("gives each migration resource its own journal, also two of one source server", async function () {
    this.timeout(60000);
    const args = { source: { cloud: "a" }, target: { cloud: "b" }, sourceServer: "web-1", journalDir: os.tmpdir() };
    const run = await harness.runProgram(() => [
      new S2DMigration("web-near-data", args),
      new S2DMigration("web-test-copy", { ...args, targetName: "web-1-test" }),
    ]);
    expect(run.errors).to.deep.equal([]);
    const one = run.byName("web-near-data-run").inputs;
    const two = run.byName("web-test-copy-run").inputs;
    expect(one.journalKey).to.match(/\/web-near-data$/);
    expect(two.journalKey).to.match(/\/web-test-copy$/);
    const file = (i: Record<string, any>) =>
      journalFileFor({
        source: i.source,
        target: i.target,
        server: i.server,
        journalDir: i.journalDir,
        journalKey: i.journalKey,
      });
    expect(file(one)).to.not.equal(file(two));
    expect(file(one), "stable for one resource").to.equal(file({ ...one }));
  });

  it("refuses bad arguments before registering anything, naming the field", async () => {
    const run = await harness.runProgram(
      () =>
        new S2DMigration("bad", {
          source: { authUrl: "http://a:5000/v3", username: "u", password: "hunter2" },
          target: { cloud: "b" },
          sourceServer: "x",
          floatingIp: "sometimes",
          keypairMode: "import",
          availabilityZone: "",
        }),
    );
    // One ComponentArgsError (Pulumi's InputPropertiesError) with every problem, per field.
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    expect((run.thrown as ComponentArgsError).problems.map((p) => p.field)).to.deep.equal([
      "source.project",
      "availabilityZone",
      "floatingIp",
      "publicKey",
    ]);
    expect(run.thrown?.message).to.match(/S2DMigration bad: invalid arguments/);
    expect(run.thrown?.message).to.include("source.project: (not set) project is required with authUrl");
    expect(run.thrown?.message).to.include('floatingIp: "sometimes" is not "new", "none" or an IPv4 address');
    expect(run.thrown?.message).to.include('publicKey: (not set) is required when keypairMode is "import"');
    expect(run.thrown?.message).to.include('availabilityZone: "" must not be empty');
    expect(run.thrown?.message).to.not.include("hunter2");
    expect(run.resources.filter((r) => r.name.startsWith("bad"))).to.deep.equal([]);
  });

  it("shows a cloud's password as [secret] when the cloud itself is refused", async () => {
    const run = await harness.runProgram(
      () =>
        new S2DMigration("nocloud", {
          source: { password: "hunter2", username: "u" },
          target: { cloud: "b" },
          sourceServer: "x",
        }),
    );
    expect(run.thrown?.message).to.include('source: {"password":"[secret]","username":"u"} give either cloud');
    expect(run.thrown?.message).to.not.include("hunter2");
  });

  it("leaves Outputs to run time: a cloud whose password is a secret Output passes the check", async () => {
    const run = await harness.runProgram(
      () =>
        new S2DMigration("later", {
          source: { authUrl: "http://a:5000/v3", username: "u", password: pulumi.secret("pw") as never, project: "p" },
          target: pulumi.output({ cloud: "b" }),
          sourceServer: pulumi.output("x"),
        }),
    );
    expect(run.thrown).to.equal(undefined);
    expect(run.byName("later-run").type).to.equal("pulumi-nodejs:dynamic/s2d:S2DMigrationRun");
  });

  it("keeps what the migration made when only retainInTarget changes (the update's outputs are the whole state)", async () => {
    const olds = {
      source: { cloud: "a" },
      target: { cloud: "b" },
      server: { source: "web-1" },
      retain: false,
      targetServerId: "srv-b",
      targetServerStatus: "ACTIVE",
      targetImageId: "img-b",
      floatingIp: "203.0.113.9",
      checksums: { md5: "m", hashAlgo: "sha512", hashValue: "h" },
      createdInTarget: [{ kind: "server", id: "srv-b" }],
      journalFile: "/tmp/j.json",
    };
    const news = { source: { cloud: "a" }, target: { cloud: "b" }, server: { source: "web-1" }, retain: true };
    const result = await migrationProvider.update!("mig-1", olds as never, news as never);
    expect(result.outs).to.deep.include({ retain: true, targetServerId: "srv-b", journalFile: "/tmp/j.json" });
    expect(result.outs!.createdInTarget).to.deep.equal([{ kind: "server", id: "srv-b" }]);
  });
});
