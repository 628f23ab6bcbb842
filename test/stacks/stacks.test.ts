// Every stack in stacks/ is loaded, validated and run through the root program under the mock
// harness (no cloud, no Pulumi CLI: the CLI cannot run on the development machines).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { BLOCKS, ENVIRONMENTS, networksBlock, securityProfilesBlock, type CompositionContext, listStacks, readStackFile, stackFilePath, composeEnvironment, PendingBlockError } from "@openstack-blueprints/environments";
import { StackConfigError } from "@openstack-blueprints/components";
import { installMocks, T } from "../harness/pulumi-mocks";
import { STACKS_DIR, runRootProgram, runStackOnce } from "../harness/stack-runner";

const harness = installMocks();

/**
 * Blocks whose component is not wired into packages/environments yet; their config is kept and
 * checked to be an object, nothing of them is deployed. Shrinks as components land.
 */
const PENDING_BLOCKS: string[] = [];

const EXPECTED_STACKS = ["ganeti", "lab", "local", "migrate", "office"];

describe("stacks/ (root program under the harness)", function () {
  // A 200-desktop office takes about a minute under the harness on a busy 2-core machine.
  this.timeout(300_000);

  it("has one stack per environment kind and the registry agrees on what is pending", () => {
    expect(listStacks(STACKS_DIR)).to.deep.equal(EXPECTED_STACKS);
    expect(BLOCKS.filter((b) => b.deploy === undefined).map((b) => b.key)).to.deep.equal(PENDING_BLOCKS);
    const root = fs.readFileSync(path.resolve(STACKS_DIR, "../Pulumi.yaml"), "utf8");
    expect(root).to.match(/^stackConfigDir: stacks$/m);
  });

  for (const stack of EXPECTED_STACKS) {
    describe(stack, () => {
      it("keeps secrets as secure: values, never plain", () => {
        const file = readStackFile(stackFilePath(STACKS_DIR, stack));
        expect(file.plainSecrets, "plain values under secret-looking keys").to.deep.equal([]);
        expect(file.config["openstack-blueprints:environment"]).to.equal(stack);
      });

      it("validates and runs without errors; what is wired is built", async () => {
        const run = await runStackOnce(harness, stack);
        expect(run.thrown?.message).to.equal(undefined);
        expect(run.errors.map((e) => e.message)).to.deep.equal([]);
        const env = run.value!;
        const kind = ENVIRONMENTS[stack];
        const present = BLOCKS.filter((b) => run.value!.context !== undefined && readStackFile(stackFilePath(STACKS_DIR, stack)).config[`openstack-blueprints:${b.key}`] !== undefined);
        for (const key of kind.required) expect(present.map((b) => b.key)).to.include(key);
        expect(env.skippedBlocks).to.deep.equal(present.filter((b) => PENDING_BLOCKS.includes(b.key)).map((b) => b.key));
        const wired = present.filter((b) => !PENDING_BLOCKS.includes(b.key));
        if (wired.some((b) => b.key === "networks")) {
          expect(run.byType(T.network).length).to.be.greaterThan(0);
          expect(Object.keys(env.outputs).some((k) => k.startsWith("networks."))).to.equal(true);
        }
        if (wired.some((b) => b.key === "securityProfiles")) expect(run.byType(T.secGroup).length).to.be.greaterThan(0);
      });

      it("the root index.ts (what `pulumi up` runs) builds it and exports outputs, or refuses naming the unwired blocks", async () => {
        const run = await runRootProgram(harness, stack);
        const pending = BLOCKS.filter((b) => PENDING_BLOCKS.includes(b.key) &&
          readStackFile(stackFilePath(STACKS_DIR, stack)).config[`openstack-blueprints:${b.key}`] !== undefined);
        if (pending.length > 0) {
          expect(run.thrown).to.be.instanceOf(PendingBlockError);
          for (const b of pending) expect(run.thrown!.message).to.contain(`${b.key} (${b.component})`);
          expect(run.resources, "nothing is created when a block is not wired").to.deep.equal([]);
        } else {
          expect(run.thrown?.message).to.equal(undefined);
          expect(run.errors.map((e) => e.message)).to.deep.equal([]);
          expect(run.value!.kind).to.equal(stack);
          expect(Object.keys(run.value!.outputs as object).length).to.be.greaterThan(0);
        }
      });
    });
  }

  it("a real `pulumi up` refuses a stack whose components are not wired, naming them", function () {
    const pending = BLOCKS.find((b) => b.deploy === undefined);
    if (!pending) this.skip(); // every component is wired: nothing left to refuse
    // The stack of an environment that requires the pending block, exactly as in stacks/.
    const kind = Object.keys(ENVIRONMENTS).find((k) => ENVIRONMENTS[k].required.includes(pending!.key))!;
    const file = readStackFile(stackFilePath(STACKS_DIR, kind));
    const raw = Object.fromEntries(Object.entries(file.config)
      .filter(([k]) => k.startsWith("openstack-blueprints:"))
      .map(([k, v]) => [k.slice("openstack-blueprints:".length), v]));
    expect(() => composeEnvironment({ raw })).to.throw(PendingBlockError, new RegExp(`${pending!.key} \\(${pending!.component}\\)`));
  });

  it("refuses a config that does not fit its environment, naming the key", () => {
    const bad = (raw: Record<string, string>) => {
      try {
        composeEnvironment({ raw, skipPendingBlocks: true });
      } catch (e) {
        expect(e).to.be.instanceOf(StackConfigError);
        return (e as Error).message;
      }
      throw new Error("expected a StackConfigError");
    };
    expect(bad({ environment: "offfice" })).to.contain('openstack-blueprints:environment: "offfice" is not one of "office", "lab"');
    expect(bad({ environment: "lab" })).to.contain("openstack-blueprints:calculator: is required by environment lab (TwoTierCalculatorTopology)");
    expect(bad({ environment: "migrate", migration: "{}", networks: JSON.stringify({ a: { cidr: "10.0.0.0/24" } }) }))
      .to.contain("openstack-blueprints:networks: has no place in environment migrate; it takes migration");
    expect(bad({ environment: "lab", calculator: "{}", networks: JSON.stringify({ a: { cidr: "10.0.0.1/24" } }) }))
      .to.contain('openstack-blueprints:networks.a.cidr: "10.0.0.1/24" has host bits set');
    expect(bad({ environment: "lab", calculator: "{}", securityProfiles: JSON.stringify({ web: { rules: [{ protocol: "tcp", port: 80, remoteProfile: "lb" }] } }) }))
      .to.contain("openstack-blueprints:securityProfiles.web.rules[0].remoteProfile: ");
  });

  it("office bakes the desktop image first, with DevStack's admin as a secret, and boots every desktop from it", async () => {
    const run = await runStackOnce(harness, "office");
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    const [bake] = run.byType(T.bakedImage);
    expect(run.byType(T.bakedImage)).to.have.length(1);
    expect(bake.inputs).to.deep.include({ baseImageId: "image-ubuntu-2404", flavorId: "flavor-desktop", osDistro: "ubuntu", osVersion: "24.04" });
    expect(bake.inputs.networkId).to.equal(run.byName("office-office-network").id);
    // The baker talks to the DevStack this stack builds: its admin, as one secret.
    expect(bake.inputs.credentials).to.include({ authUrl: "http://192.0.2.10/identity/v3", username: "admin", project: "admin" });
    expect(bake.secretPaths).to.include("credentials");
    const stackSh = run.byType(T.remoteCommand).find((c) => c.name === "office-devstack-stack");
    expect(stackSh, "the stack.sh step of DevstackHost").not.to.equal(undefined);
    expect([...run.dependsOnTransitively(bake.urn)], "the bake waits for stack.sh").to.include(stackSh!.urn);
    const desktops = run.byType(T.instance);
    expect(desktops).to.have.length(200);
    for (const d of desktops) {
      expect(d.inputs.imageId).to.equal(bake.id);
      expect(d.inputs.userData as string).not.to.match(/^packages:/m);
    }
    expect([...run.dependsOnTransitively(desktops[0].urn)]).to.include(bake.urn);
    expect(Object.keys(run.value!.outputs)).to.include.members(["desktops.imageId", "desktops.imageName", "desktops.packageHash"]);
  });

  it("builds networks and cross-referenced security profiles from config", async () => {
    const networks = networksBlock.schema!.parse({ web: { cidr: "10.9.0.0/24", externalNetworkName: "public", dnsNameservers: ["9.9.9.9"], internetAccess: true } });
    const profiles = securityProfilesBlock.schema!.parse({
      app: { rules: [{ protocol: "tcp", port: 8080, remoteProfile: "lb" }, { protocol: "tcp", port: 7000, remoteProfile: "app" }] },
      lb: { rules: [{ protocol: "tcp", port: 443, remoteCidr: "0.0.0.0/0" }] },
    });
    const run = await harness.runProgram(() => {
      const ctx: CompositionContext = { environment: "t", networks: new Map(), securityProfiles: new Map(), outputs: {} };
      networksBlock.deploy!(networks, ctx);
      securityProfilesBlock.deploy!(profiles, ctx);
      return ctx;
    });
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    expect(run.byName("t-web-router").inputs.externalNetworkId).to.equal("net-public");
    expect(Object.keys(run.value!.outputs)).to.include.members(["networks.web.subnetId", "securityProfiles.app.securityGroupId"]);
    const fromLb = run.byType(T.secGroupRule).find((r) => r.inputs.portRangeMin === 8080)!;
    expect(fromLb.inputs.remoteGroupId).to.equal(run.byName("t-lb-group").id);
    const self = run.byType(T.secGroupRule).find((r) => r.inputs.portRangeMin === 7000)!;
    expect(self.inputs.remoteGroupId).to.equal(run.byName("t-app-group").id);
  });
});
