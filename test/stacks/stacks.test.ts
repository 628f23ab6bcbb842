// Every stack in stacks/ is loaded, validated and run through the root program under the mock
// harness (no cloud, no Pulumi CLI: the CLI cannot run on the development machines).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import * as YAML from "yaml";
import {
  BLOCKS,
  ENVIRONMENTS,
  networksBlock,
  securityProfilesBlock,
  listStacks,
  readStackFile,
  stackFilePath,
  composeEnvironment,
  checkStackConfig,
  homeVolumesOf,
} from "@openstack-blueprints/environments";
import { StackConfigError } from "@openstack-blueprints/components";
import { parseCloudConfig } from "@openstack-blueprints/components/internal";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, outputValue, T } from "@openstack-blueprints/test-harness";
import {
  STACKS_DIR,
  runRootProgram,
  runStack,
  runStackOnce,
} from "@openstack-blueprints/test-harness/src/stack-runner";

const harness = installMocks();

const EXPECTED_STACKS = ["ganeti", "lab", "local", "migrate", "notebooks", "office"];

describe("stacks/ (root program under the harness)", function () {
  // A 200-desktop office takes about a minute under the harness on a busy 2-core machine.
  this.timeout(300_000);

  it("has one stack per environment kind, each kind's blocks known to the registry", () => {
    expect(listStacks(STACKS_DIR)).to.deep.equal(EXPECTED_STACKS);
    expect(Object.keys(ENVIRONMENTS).sort()).to.deep.equal(EXPECTED_STACKS);
    for (const kind of Object.values(ENVIRONMENTS)) {
      for (const key of [...kind.required, ...kind.optional]) expect(BLOCKS.map((b) => b.key)).to.include(key);
    }
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

      it("validates and runs without errors; every block in the config is built", async () => {
        const run = await runStackOnce(harness, stack);
        expect(run.thrown?.message).to.equal(undefined);
        expect(run.errors.map((e) => e.message)).to.deep.equal([]);
        const env = run.value!;
        const kind = ENVIRONMENTS[stack];
        const present = BLOCKS.filter(
          (b) => readStackFile(stackFilePath(STACKS_DIR, stack)).config[`openstack-blueprints:${b.key}`] !== undefined,
        );
        for (const key of kind.required) expect(present.map((b) => b.key)).to.include(key);
        expect([...env.order].sort(), "the blocks that ran").to.deep.equal(present.map((b) => b.key).sort());
        const wired = present;
        if (wired.some((b) => b.key === "networks")) {
          expect(run.byType(T.network).length).to.be.greaterThan(0);
          expect(Object.keys(env.outputs).some((k) => k.startsWith("networks."))).to.equal(true);
        }
        if (wired.some((b) => b.key === "securityProfiles")) expect(run.byType(T.secGroup).length).to.be.greaterThan(0);
      });

      it("the root index.ts (what `pulumi up` runs) builds it and exports outputs", async () => {
        const run = await runRootProgram(harness, stack);
        expect(run.thrown?.message).to.equal(undefined);
        expect(run.errors.map((e) => e.message)).to.deep.equal([]);
        expect(run.value!.kind).to.equal(stack);
        expect(Object.keys(run.value!.outputs as object).length).to.be.greaterThan(0);
      });
    });
  }

  it("migrate exports the new server's id, its addresses and the checksums its image was verified with", async () => {
    const run = await runRootProgram(harness, "migrate");
    expect(run.thrown?.message).to.equal(undefined);
    const outputs = run.value!.outputs as Record<string, pulumi.Output<unknown>>;
    const value = async (key: string) => {
      expect(outputs, "the stack's outputs").to.have.property(key);
      return outputValue(outputs[key]);
    };
    const serverId = await value("migration.targetServerId");
    const run2 = run.resources.find((r) => r.type === T.s2dMigrationRun)!;
    expect(serverId).to.equal(run2.id);
    // stacks/Pulumi.migrate.yaml asks for network data-net and a new floating IP.
    const addresses = (await value("migration.addresses")) as Record<string, string[]>;
    expect(Object.keys(addresses)).to.deep.equal(["data-net"]);
    const floatingIp = await value("migration.floatingIp");
    expect(addresses["data-net"]).to.include(floatingIp);
    const checksums = (await value("migration.checksums")) as Record<string, string>;
    expect(checksums).to.have.keys("md5", "hashAlgo", "hashValue", "hashCheck");
    expect(checksums.md5).to.match(/^[0-9a-f]{32}$/);
    expect(checksums.hashAlgo).to.equal("sha512");
  });

  it("refuses a config that does not fit its environment, naming the key", () => {
    const bad = (raw: Record<string, string>) => {
      try {
        composeEnvironment({ raw });
      } catch (e) {
        expect(e).to.be.instanceOf(StackConfigError);
        return (e as Error).message;
      }
      throw new Error("expected a StackConfigError");
    };
    expect(bad({ environment: "offfice" })).to.contain(
      'openstack-blueprints:environment: "offfice" is not one of "office", "notebooks", "lab"',
    );
    expect(bad({ environment: "lab" })).to.contain(
      "openstack-blueprints:calculator: is required by environment lab (TwoTierCalculatorTopology)",
    );
    expect(
      bad({ environment: "migrate", migration: "{}", networks: JSON.stringify({ a: { cidr: "10.0.0.0/24" } }) }),
    ).to.contain("openstack-blueprints:networks: has no place in environment migrate; it takes migration");
    expect(
      bad({ environment: "lab", calculator: "{}", networks: JSON.stringify({ a: { cidr: "10.0.0.1/24" } }) }),
    ).to.contain('openstack-blueprints:networks.a.cidr: "10.0.0.1/24" has host bits set');
    expect(
      bad({
        environment: "lab",
        calculator: "{}",
        securityProfiles: JSON.stringify({ web: { rules: [{ protocol: "tcp", port: 80, remoteProfile: "lb" }] } }),
      }),
    ).to.contain("openstack-blueprints:securityProfiles.web.rules[0].remoteProfile: ");
    const desktops = (extra: object) =>
      JSON.stringify({
        network: "a",
        thinClientCidr: "10.0.0.0/24",
        flavor: "f",
        employees: [{ name: "alice" }],
        ...extra,
      });
    const bakeSpec = { baseImage: "ubuntu-24.04", builderFlavor: "f", osDistro: "ubuntu" };
    expect(
      bad({
        environment: "local",
        calculator: "{}",
        migration: "{}",
        desktops: desktops({ workspace: "jupyter", bake: bakeSpec }),
      }),
    ).to.match(
      /openstack-blueprints:desktops\.bake: .* is invalid: bakes an xrdp desktop image; it cannot be used with workspace "jupyter"/,
    );
    expect(
      bad({ environment: "local", calculator: "{}", migration: "{}", desktops: desktops({ workspace: "vnc" }) }),
    ).to.contain("openstack-blueprints:desktops.workspace: ");
  });

  it("office bakes the desktop image first, with DevStack's admin as a secret, and boots every desktop from it", async () => {
    const run = await runStackOnce(harness, "office");
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    const [bake] = run.byType(T.bakedImage);
    expect(run.byType(T.bakedImage)).to.have.length(1);
    // The base image and builder flavor are the ones the stack's DevStack makes (a fresh DevStack
    // has neither): taken from DevstackHost's outputs, not looked up before they exist.
    expect(bake.inputs).to.deep.include({
      baseImageId: run.byName("office-devstack-image-ubuntu-24-04").id,
      flavorId: run.byName("office-devstack-flavor-m1-desktop").id,
      osDistro: "ubuntu",
      osVersion: "24.04",
    });
    // Everything after DevStack waits for all of it (stack.sh, images, flavors), not just its provider.
    expect([...run.dependsOnTransitively(bake.urn)]).to.include.members([
      run.byName("office-devstack-image-ubuntu-24-04").urn,
      run.byName("office-devstack-flavor-m1-desktop").urn,
    ]);
    expect(bake.inputs.networkId).to.equal(run.byName("office-office-network").id);
    // The baker talks to the DevStack this stack builds: its admin, as one secret.
    expect(bake.inputs.credentials).to.include({
      authUrl: "http://192.0.2.10/identity/v3",
      username: "admin",
      project: "admin",
    });
    expect(bake.secretPaths).to.include("credentials");
    const stackSh = run.byType(T.remoteCommand).find((c) => c.name === "office-devstack-stack");
    expect(stackSh, "the stack.sh step of DevstackHost").not.to.equal(undefined);
    expect([...run.dependsOnTransitively(bake.urn)], "the bake waits for stack.sh").to.include(stackSh!.urn);
    const desktops = run.byType(T.instance).filter((s) => s.name !== "office-portal-server");
    expect(desktops).to.have.length(200);
    for (const d of desktops) {
      expect(d.inputs.imageId).to.equal(bake.id);
      expect(d.inputs.userData as string).not.to.match(/^packages:/m);
    }
    expect([...run.dependsOnTransitively(desktops[0].urn)]).to.include(bake.urn);
    // Each employee's /home on a 10 GiB Cinder volume of their own, which DevStack's quotas and
    // backing file are sized for (refused otherwise: see "home volumes" below).
    const homes = run.byType(T.volume);
    expect(homes).to.have.length(200);
    expect(homes.every((v) => v.inputs.size === 10 && /^office-desktops-staff\d{3}-home$/.test(v.name))).to.equal(true);
    expect(Object.keys(run.value!.outputs)).to.include.members([
      "desktops.imageId",
      "desktops.imageName",
      "desktops.packageHash",
    ]);
  });

  it("office deploys the self-service portal by default: it finds the 200 desktops in Nova, its user data holds only their hashes", async () => {
    const run = await runStackOnce(harness, "office");
    const server = run.byName("office-portal-server");
    expect(server.inputs).to.include({ imageName: "debian-13", flavorName: "m1.small" });
    expect(server.secretPaths).to.include("userData");
    const userData = server.inputs.userData as string;
    console.log(`    the office portal's user data: ${userData.length} bytes (Nova's limit 65535)`);
    expect(userData.length).to.be.below(65535 * 0.75);
    const doc = parseCloudConfig(gunzipSync(Buffer.from(userData, "base64")).toString());
    const file = (doc.write_files ?? []).find((f) => f.path === "/etc/blueprints-portal/portal.json")!;
    const config = JSON.parse(file.content) as {
      discover: { pool: string };
      desktops: Record<string, Record<string, string>>;
    };
    expect(config.discover).to.deep.equal({ pool: "office-desktops" });
    expect(Object.keys(config.desktops)).to.have.length(200);
    expect(Object.keys(config.desktops.staff001).sort()).to.deep.equal(["passwordHash", "reportTokenHash"]);
    // What it finds them by: the pool's metadata on each desktop.
    expect(run.byName("office-desktops-staff001-desktop").inputs.metadata).to.deep.equal({
      "blueprints-pool": "office-desktops",
      "blueprints-employee": "staff001",
    });
    // The desktops report their sessions to it (AutoStop), at its fixed address.
    expect(run.byName("office-desktops-staff001-desktop").inputs.userData as string).to.contain(
      "https://192.168.50.5/",
    );
    expect(run.value!.outputs["desktops.portalUrl"]).not.to.equal(undefined);
  });

  it("notebooks: a Jupyter server per student on the DevStack it builds, 8888 from the campus LAN only, URLs as outputs", async () => {
    const run = await runStackOnce(harness, "notebooks");
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    const servers = run.byType(T.instance).filter((s) => s.name !== "notebooks-portal-server");
    expect(servers).to.have.length(30);
    for (const s of servers) {
      expect(s.inputs.userData as string)
        .to.contain("jupyter-notebook")
        .and.contain("python3-sklearn");
      // No desktop stack: xrdp is neither installed nor configured (the session reporter's own
      // text names xrdp as what a desktop would count; a notebook counts Jupyter's port).
      const doc = YAML.parse(s.inputs.userData as string) as { packages?: string[]; write_files?: { path: string }[] };
      expect(doc.packages ?? []).to.not.include("xrdp");
      expect((doc.write_files ?? []).map((f) => f.path).filter((p) => p.includes("xrdp"))).to.deep.equal([]);
      expect(s.secretPaths).to.include("userData");
    }
    const portalGroup = run.byName("notebooks-portal-security-group").id;
    const ingress = run
      .byType(T.secGroupRule)
      .map((r) => r.inputs)
      .filter((r) => r.direction === "ingress" && r.securityGroupId !== portalGroup);
    expect(ingress.map((r) => [r.protocol, r.portRangeMin ?? null, r.remoteIpPrefix])).to.have.deep.members([
      ["tcp", 8888, "10.40.0.0/16"],
      ["icmp", null, "10.40.0.0/16"],
      ["tcp", 22, "10.40.250.0/28"],
    ]);
    // Each student's home on a 20 GiB volume; the server boots from the image DevStack uploaded,
    // by ID (a lookup by name would run before DevStack exists on a first up).
    expect(run.byType(T.volume).map((v) => v.inputs.size)).to.deep.equal(Array(30).fill(20));
    expect(servers.every((s) => s.inputs.imageId === run.byName("notebooks-devstack-image-ubuntu-24-04").id)).to.equal(
      true,
    );
    // The self-service portal, deployed by default: at its fixed address outside the allocation
    // pool, HTTPS from the campus, the admins and the notebooks' group (their session reports).
    const portalPort = run.byName("notebooks-portal-port");
    expect(portalPort.inputs.fixedIps).to.deep.equal([
      { subnetId: run.byName("notebooks-lab-subnet").id, ipAddress: "192.168.70.5" },
    ]);
    expect(run.byName("notebooks-portal-server").inputs).to.include({ imageName: "debian-13", flavorName: "m1.small" });
    const portalIngress = run
      .byType(T.secGroupRule)
      .map((r) => r.inputs)
      .filter((r) => r.direction === "ingress" && r.securityGroupId === portalGroup)
      .map((r) => [r.portRangeMin, r.remoteIpPrefix ?? r.remoteGroupId]);
    expect(portalIngress).to.have.deep.members([
      [443, "10.40.0.0/16"],
      [443, "10.40.250.0/28"],
      [443, run.byName("notebooks-desktops-security-group").id],
    ]);
    for (const s of servers)
      expect(s.inputs.userData as string, "the notebooks report to the portal").to.contain("https://192.168.70.5/");
    expect(run.value!.outputs["desktops.portalUrl"], "the stack exports the portal's URL").not.to.equal(undefined);
    const urls = run.value!.outputs["desktops.jupyterUrls"] as unknown;
    expect(urls, "the stack exports the students' URLs").not.to.equal(undefined);
    expect(run.byType(T.desktopCredential).every((c) => c.inputs.hashScheme === "jupyter-sha512")).to.equal(true);
  });

  it("home volumes: on by default in office and notebooks, opted out with false; DevStack's quotas and backing file must hold them", async () => {
    expect(homeVolumesOf({}, "office")).to.deep.equal({ sizeGiB: 10 });
    expect(homeVolumesOf({}, "notebooks")).to.deep.equal({ sizeGiB: 20 });
    expect(homeVolumesOf({ homeVolumes: false }, "office")).to.equal(undefined);
    expect(homeVolumesOf({}, "local")).to.equal(undefined);
    expect(homeVolumesOf({ homeVolumes: { sizeGiB: 5 } }, "office")).to.deep.equal({ sizeGiB: 5 });

    const file = readStackFile(stackFilePath(STACKS_DIR, "office"));
    const raw = Object.fromEntries(
      Object.entries(file.config).map(([k, v]) => [k.replace(/^openstack-blueprints:/, ""), v]),
    );
    const withDesktops = (
      change: (d: Record<string, unknown>) => void,
      devstack?: (d: Record<string, unknown>) => void,
    ) => {
      const d = JSON.parse(raw.desktops);
      change(d);
      const ds = JSON.parse(raw.devstack);
      devstack?.(ds);
      return { ...raw, desktops: JSON.stringify(d), devstack: JSON.stringify(ds) };
    };
    const noVolumeQuotas = (ds: Record<string, unknown>) => {
      const q = ds.quotas as Record<string, unknown>;
      delete q.volumes;
      delete q.volumeGiB;
    };
    expect(checkStackConfig(raw).problems).to.deep.equal([]);
    // The default applies without the setting: Cinder's defaults (10 volumes) would stop `up` mid-way.
    expect(checkStackConfig(withDesktops((d) => delete d.homeVolumes, noVolumeQuotas)).problems).to.deep.equal([
      "openstack-blueprints:devstack.quotas.volumes: is not set, while the desktops make 200 Cinder volumes (home volumes); " +
        "a fresh DevStack project allows 10. Fix: set it to at least 200, or opt out with openstack-blueprints:desktops.homeVolumes: false",
      "openstack-blueprints:devstack.quotas.volumeGiB: is not set, while the desktops' home volumes take 2000 GiB; " +
        "a fresh DevStack project allows 1000 and its backing file holds 30. Fix: set it to at least 2000 with " +
        "openstack-blueprints:devstack.volumeBackingFileSize to hold it, or opt out with openstack-blueprints:desktops.homeVolumes: false",
    ]);
    expect(checkStackConfig(withDesktops((d) => (d.homeVolumes = false), noVolumeQuotas)).problems).to.deep.equal([]);
    expect(checkStackConfig(withDesktops((d) => (d.homeVolumes = "yes"))).problems.join("\n")).to.contain(
      "openstack-blueprints:desktops.homeVolumes",
    );

    // The notebooks without the setting get the default; with false, none (and the pool's warning).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    try {
      const doc = YAML.parse(fs.readFileSync(stackFilePath(STACKS_DIR, "notebooks"), "utf8"));
      const desktopsConfig = doc.config["openstack-blueprints:desktops"];
      delete desktopsConfig.homeVolumes;
      fs.writeFileSync(stackFilePath(dir, "notebooks"), YAML.stringify(doc));
      const byDefault = await runStack(harness, "notebooks", dir);
      expect(byDefault.errors.map((e) => e.message)).to.deep.equal([]);
      expect(byDefault.byType(T.volume).map((v) => v.inputs.size)).to.deep.equal(Array(30).fill(20));
      desktopsConfig.homeVolumes = false;
      fs.writeFileSync(stackFilePath(dir, "notebooks"), YAML.stringify(doc));
      const optedOut = await runStack(harness, "notebooks", dir);
      expect(optedOut.errors.map((e) => e.message)).to.deep.equal([]);
      expect(optedOut.byType(T.volume)).to.deep.equal([]);
      // DevStack's backing file below the quota it sets: refused before anything is built.
      desktopsConfig.homeVolumes = { sizeGiB: 20 };
      doc.config["openstack-blueprints:devstack"].volumeBackingFileSize = "500G";
      fs.writeFileSync(stackFilePath(dir, "notebooks"), YAML.stringify(doc));
      const small = await runStack(harness, "notebooks", dir);
      expect(small.thrown?.message ?? small.errors.map((e) => e.message).join("\n")).to.contain(
        'volumeBackingFileSize: "500G" holds 500 GiB of Cinder volumes, less than quotas.volumeGiB 800',
      );
      expect(small.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("office on a fresh DevStack fails without the image it declares (the harness starts from DevStack's defaults)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    try {
      const doc = YAML.parse(fs.readFileSync(stackFilePath(STACKS_DIR, "office"), "utf8"));
      delete doc.config["openstack-blueprints:devstack"].images;
      fs.writeFileSync(stackFilePath(dir, "office"), YAML.stringify(doc));
      const run = await runStack(harness, "office", dir);
      expect(run.errors.map((e) => e.message).join("\n")).to.contain("No image found with name ubuntu-24.04");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("builds networks and cross-referenced security profiles from config", async () => {
    const networks = networksBlock.schema!.parse({
      web: { cidr: "10.9.0.0/24", externalNetworkName: "public", dnsNameservers: ["9.9.9.9"], internetAccess: true },
    });
    const profiles = securityProfilesBlock.schema!.parse({
      app: {
        rules: [
          { protocol: "tcp", port: 8080, remoteProfile: "lb" },
          { protocol: "tcp", port: 7000, remoteProfile: "app" },
        ],
      },
      lb: { rules: [{ protocol: "tcp", port: 443, remoteCidr: "0.0.0.0/0" }] },
    });
    const run = await harness.runProgram(() => ({
      outputs: {
        ...networksBlock.run(networks, {}, "t").outputs,
        ...securityProfilesBlock.run(profiles, {}, "t").outputs,
      },
    }));
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    expect(run.byName("t-web-router").inputs.externalNetworkId).to.equal("net-public");
    expect(Object.keys(run.value!.outputs)).to.include.members([
      "networks.web.subnetId",
      "securityProfiles.app.securityGroupId",
    ]);
    const fromLb = run.byType(T.secGroupRule).find((r) => r.inputs.portRangeMin === 8080)!;
    expect(fromLb.inputs.remoteGroupId).to.equal(run.byName("t-lb-group").id);
    const self = run.byType(T.secGroupRule).find((r) => r.inputs.portRangeMin === 7000)!;
    expect(self.inputs.remoteGroupId).to.equal(run.byName("t-app-group").id);
  });
});
