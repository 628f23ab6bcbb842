/**
 * End to end: a Pulumi program declares remote.Commands (inside a component, with a secret on
 * stdin and a dependency on the component); the mock harness records them; the recorded graph
 * is executed over real SSH on two real guests, twice. This is the path the DevStack and Ganeti
 * host tests take. The Pulumi engine itself cannot run here (see workplace.md): the runner stands
 * in for the command provider's execution, not for Pulumi's diffing.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { assertValidShellScript, installMocks } from "@openstack-blueprints/test-harness";
import { renderRemoteScript } from "../../packages/components/src/scripts/remote-script";
import { secretStdin } from "../../packages/components/src/scripts/secret-stdin";
import { Guest, pinnedHostKeys } from "./guest";
import { TestLab } from "./lab";
import { stepsFromRecordedResources } from "./recorded-steps";
import { runTwice } from "./remote-runner";
import { requireTestHosts } from "./requirements";
import { buildRootfs } from "./rootfs";

interface DemoHostsArgs {
  hosts: string[];
  privateKey: pulumi.Input<string>;
  token: pulumi.Input<string>;
}

/** A stand-in for DevstackHost/GanetiDrbdCluster: per-host steps in parallel, then a joint step. */
class DemoHosts extends pulumi.ComponentResource {
  public readonly joined: pulumi.Output<string>;

  constructor(name: string, args: DemoHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openstack-blueprints:index:DemoHosts", name, {}, opts);
    const prepare = renderRemoteScript({
      description: "prepare demo host",
      stdinSecrets: ["TOKEN"],
      body: [
        "ensure_dir /etc/demo 0755 root:root",
        'write_secret_file /etc/demo/token "$TOKEN"',
        'ensure_line /etc/demo/hosts "$(hostname)"',
      ].join("\n"),
    });
    const prepared = args.hosts.map(
      (host, i) =>
        new command.remote.Command(
          `${name}-prepare-${i}`,
          {
            connection: { host, user: "root", privateKey: args.privateKey },
            create: prepare,
            stdin: secretStdin(args.token),
          },
          { parent: this, customTimeouts: { create: "5m" } },
        ),
    );
    const join = renderRemoteScript({
      description: "join demo hosts",
      body: `ensure_file /etc/demo/joined 0644 root:root <<'EOF'\n${args.hosts.join(" ")}\nEOF`,
    });
    const joined = new command.remote.Command(
      `${name}-join`,
      { connection: { host: args.hosts[0], user: "root", privateKey: args.privateKey }, create: join },
      { parent: this, dependsOn: prepared },
    );
    this.joined = joined.stdout;
    this.registerOutputs({ joined: this.joined });
  }
}

const harness = installMocks();

describe("test hosts: a program's remote commands, recorded by the harness, run over real SSH", function () {
  this.timeout(15 * 60_000);
  let lab: TestLab;
  let n1: Guest;
  let n2: Guest;

  before(async function () {
    requireTestHosts(this);
    const rootfs = await buildRootfs({ name: "th-base" });
    lab = await TestLab.create({ prefix: "th", subnet: "10.200.0.0/16" });
    const net = await lab.network();
    [n1, n2] = await Promise.all([
      lab.startGuest({ name: "n1", rootfs, network: net }),
      lab.startGuest({ name: "n2", rootfs, network: net }),
    ]);
  });

  after(async () => {
    await lab?.cleanup();
  });

  it("runs the recorded graph in order, twice, with the secret only on stdin", async () => {
    harness.reset();
    const token = "demo-token-7f3a";
    const run = await harness.runProgram(() => {
      const hosts = new DemoHosts("demo", {
        hosts: [n1.ip, n2.ip],
        privateKey: pulumi.secret(lab.clientKey.privateKey),
        token: pulumi.secret(token),
      });
      // Outside the component: waits for everything in it.
      new command.remote.Command(
        "after-demo",
        {
          connection: { host: n2.ip, user: "root", privateKey: pulumi.secret(lab.clientKey.privateKey) },
          create: "cat /etc/demo/hosts",
        },
        { dependsOn: [hosts] },
      );
      return hosts;
    });
    expect(run.errors).to.deep.equal([]);

    const steps = stepsFromRecordedResources(run.resources);
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    const names = (urns: string[]) => urns.map((u) => steps.find((s) => s.urn === u)!.name).sort();
    expect(Object.keys(byName).sort()).to.deep.equal(["after-demo", "demo-join", "demo-prepare-0", "demo-prepare-1"]);
    expect(names(byName["demo-prepare-0"].dependsOn)).to.deep.equal([]);
    expect(names(byName["demo-join"].dependsOn)).to.deep.equal(["demo-prepare-0", "demo-prepare-1"]);
    expect(names(byName["after-demo"].dependsOn)).to.deep.equal(["demo-join", "demo-prepare-0", "demo-prepare-1"]);
    expect(byName["demo-prepare-0"].timeoutMs).to.equal(5 * 60_000);
    for (const step of steps) {
      expect(step.create).to.not.contain(token);
      assertValidShellScript(step.create!, step.name);
    }

    const { first, second } = await runTwice(steps, { hostKeys: pinnedHostKeys([n1, n2]) });
    const order = first.startOrder;
    expect(order.indexOf("demo-join")).to.be.greaterThan(
      Math.max(order.indexOf("demo-prepare-0"), order.indexOf("demo-prepare-1")),
    );
    expect(order[order.length - 1]).to.equal("after-demo");
    expect(first.results.find((r) => r.name === "demo-prepare-0")!.changed).to.include(
      "changed: wrote secret file /etc/demo/token",
    );
    expect(second.results.every((r) => r.changed.length === 0)).to.equal(true);
    expect(second.results.find((r) => r.name === "after-demo")!.stdout.trim()).to.equal("n2");
    for (const guest of [n1, n2]) {
      expect((await guest.exec("stat -c %a /etc/demo/token; cat /etc/demo/token")).stdout).to.equal(`600\n${token}`);
    }
    expect(n1.readFile("/etc/demo/joined")).to.equal(`${n1.ip} ${n2.ip}\n`);
  });
});
