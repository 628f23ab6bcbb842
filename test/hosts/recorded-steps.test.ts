/**
 * Pure tests (no root needed) of how recorded resources become remote steps, and of the runner's
 * refusal of bad graphs before anything connects anywhere.
 */
import { expect } from "chai";
import { RecordedResource, durationMs, stepsFromRecordedResources } from "./recorded-steps";
import { RemoteStep, changedLines, runRemoteSteps } from "./remote-runner";

const connection = { host: "10.200.9.9", port: 22, user: "root", privateKey: "KEY" };

function command(
  name: string,
  dependencies: string[] = [],
  parent?: string,
  extra: Record<string, unknown> = {},
): RecordedResource {
  return {
    type: "command:remote:Command",
    name,
    urn: `urn:pulumi:test::p::command:remote:Command::${name}`,
    inputs: { connection, create: `echo ${name}`, ...extra },
    parent,
    dependencies,
    custom: true,
  };
}

function other(
  type: string,
  name: string,
  dependencies: string[] = [],
  parent?: string,
  custom = true,
): RecordedResource {
  return { type, name, urn: `urn:pulumi:test::p::${type}::${name}`, inputs: {}, parent, dependencies, custom };
}

const urnOf = (r: RecordedResource) => r.urn;
const depsByName = (steps: RemoteStep[]) =>
  Object.fromEntries(steps.map((s) => [s.name, s.dependsOn.map((u) => steps.find((x) => x.urn === u)!.name).sort()]));

describe("test hosts: steps from recorded resources", () => {
  it("keeps only remote commands and their direct command dependencies", () => {
    const a = command("a");
    const b = command("b", [a.urn]);
    const stack = other("pulumi:pulumi:Stack", "stack", [], undefined, false);
    const steps = stepsFromRecordedResources([stack, a, b]);
    expect(steps.map((s) => s.name)).to.deep.equal(["a", "b"]);
    expect(depsByName(steps)).to.deep.equal({ a: [], b: ["a"] });
    expect(steps[1]).to.include({ create: "echo b" });
    expect(steps[1].connection).to.deep.equal({ ...connection, hostKey: undefined });
  });

  it("maps a dependency on a component to every command below it (nested too)", () => {
    const component = other("openstack-blueprints:index:DevstackHost", "host", [], undefined, false);
    const inner = other("openstack-blueprints:index:Node", "node", [], component.urn, false);
    const c1 = command("prepare", [], component.urn);
    const c2 = command("clone", [c1.urn], inner.urn);
    const after = command("after", [component.urn]);
    const steps = stepsFromRecordedResources([component, inner, c1, c2, after]);
    expect(depsByName(steps)).to.deep.equal({ prepare: [], clone: ["prepare"], after: ["clone", "prepare"] });
  });

  it("follows dependencies through non-command resources transitively", () => {
    const c1 = command("first");
    const password = other("random:index/randomPassword:RandomPassword", "pw", [c1.urn]);
    const port = other("openstack:networking/port:Port", "port", [password.urn]);
    const c2 = command("second", [port.urn]);
    const steps = stepsFromRecordedResources([c1, password, port, c2]);
    expect(depsByName(steps)).to.deep.equal({ first: [], second: ["first"] });
  });

  it("treats a resource with children as a component when records carry no custom flag", () => {
    const component = { ...other("my:index:Thing", "thing"), custom: undefined };
    const c1 = { ...command("child", [], component.urn), custom: undefined };
    const c2 = { ...command("user", [component.urn]), custom: undefined };
    expect(depsByName(stepsFromRecordedResources([component, c1, c2]))).to.deep.equal({ child: [], user: ["child"] });
  });

  it("unwraps secrets in inputs and maps stdin, update, delete and environment", () => {
    const secret = (value: unknown) => ({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value,
    });
    const c = command("s", [], undefined, {
      connection: { ...connection, privateKey: secret("PRIVATE") },
      stdin: secret("pw\n"),
      update: "echo update",
      delete: "echo delete",
      environment: { LANG: "C.UTF-8" },
    });
    const [step] = stepsFromRecordedResources([c]);
    expect(step.connection.privateKey).to.equal("PRIVATE");
    expect(step).to.include({ stdin: "pw\n", update: "echo update", delete: "echo delete" });
    expect(step.environment).to.deep.equal({ LANG: "C.UTF-8" });
  });

  it("takes the step timeout from customTimeouts.create", () => {
    const c = { ...command("slow"), customTimeouts: { create: "1h30m" } };
    expect(stepsFromRecordedResources([c])[0].timeoutMs).to.equal(90 * 60_000);
    expect(durationMs("45s")).to.equal(45_000);
    expect(() => durationMs("soon")).to.throw(/not a duration/);
  });

  it('keeps the deletedWith option (a URN; the harness records "" for none)', () => {
    const cluster = command("cluster");
    const group = { ...command("group", [cluster.urn]), deletedWith: cluster.urn };
    const plain = { ...command("plain"), deletedWith: "" };
    const steps = stepsFromRecordedResources([cluster, group, plain]);
    expect(steps.map((s) => s.deletedWith)).to.deep.equal([undefined, cluster.urn, undefined]);
  });

  it("names the resource when a connection or command input is unusable", () => {
    const noConnection = { ...command("x"), inputs: { create: "true" } };
    expect(() => stepsFromRecordedResources([noConnection])).to.throw(/x: remote.Command without a connection/);
    const badCreate = command("y", [], undefined, { create: 42 });
    expect(() => stepsFromRecordedResources([badCreate])).to.throw(/y: input create is not a string/);
  });

  it("ignores dependency cycles through non-command resources without hanging", () => {
    const r1 = other("x:index:R", "r1", []);
    const r2 = other("x:index:R", "r2", [r1.urn]);
    r1.dependencies.push(r2.urn);
    const c = command("c", [r1.urn]);
    expect(depsByName(stepsFromRecordedResources([r1, r2, c]))).to.deep.equal({ c: [] });
    expect([r1, r2].map(urnOf)).to.have.length(2);
  });
});

describe("test hosts: remote runner input checks (before connecting)", () => {
  const step = (name: string, dependsOn: string[] = [], hostKey = "ssh-ed25519 AAAA"): RemoteStep => ({
    urn: name,
    name,
    create: "true",
    connection: { ...connection, hostKey },
    dependsOn,
  });

  it("refuses a cycle and names it", async () => {
    const error = await runRemoteSteps([step("a", ["b"]), step("b", ["a"])]).catch((e: Error) => e);
    expect((error as Error).message).to.match(/cycle: (a -> b -> a|b -> a -> b)/);
  });

  it("refuses a dependency that is not among the steps", async () => {
    const error = await runRemoteSteps([step("a", ["zzz"])]).catch((e: Error) => e);
    expect((error as Error).message).to.contain("a depends on zzz");
  });

  it("refuses a connection without a pinned host key, naming the fix", async () => {
    const error = await runRemoteSteps([step("a", [], "")]).catch((e: Error) => e);
    expect((error as Error).message)
      .to.contain("no pinned host key for 10.200.9.9")
      .and.to.contain("hostKeys");
  });

  it("delete: a step deleted with another step being deleted runs nothing (the engine skips it too)", async () => {
    // No step here has a command that would connect: the cluster has no delete, the group's is skipped.
    const cluster = step("cluster");
    const group = { ...step("group", ["cluster"]), delete: "exit 1", deletedWith: "cluster" };
    const report = await runRemoteSteps([cluster, group], { phase: "delete" });
    expect(report.ok).to.equal(true);
    expect(report.results.map((r) => [r.name, r.status, r.reason])).to.deep.equal([
      ["cluster", "noop", undefined],
      ["group", "noop", "deleted with cluster"],
    ]);
  });

  it("parses changed: lines", () => {
    expect(changedLines("x\nchanged: wrote /a\n  changed: created /b\nunchanged: no\n")).to.deep.equal([
      "changed: wrote /a",
      "changed: created /b",
    ]);
  });
});
