import { expect } from "chai";
import {
  defaultExistingCloud,
  installMocks,
  outputValue,
  assertValidCloudConfig,
} from "@openstack-blueprints/test-harness";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";
import { ComponentArgsError } from "../../src/errors";
import { planDesktopBake } from "../../src/desktop-image/bake-plan";
import { diffBakeInputs, XrdpDesktopImage, XrdpDesktopImageArgs } from "../../src/desktop-image/xrdp-desktop-image";
import { DESKTOP_SETUP_SCRIPT_PATH, XRDP_TLS_CERT_PATH, XRDP_TLS_KEY_PATH } from "../../src/desktop/desktop-user-data";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";

const harness = installMocks();
const DYNAMIC = "pulumi-nodejs:dynamic/desktop-image:BakedImage";

/** The harness's cloud plus two builder networks (the bake checks base image, flavor and network exist). */
function builderCloud() {
  const cloud = defaultExistingCloud();
  cloud.networks.push(
    { id: "net-builders", name: "builders", external: false, subnets: [] },
    { id: "net-builders-2", name: "builders-2", external: false, subnets: [] },
  );
  return cloud;
}

function imageArgs(overrides: Partial<XrdpDesktopImageArgs> = {}): XrdpDesktopImageArgs {
  return {
    cloud: "minicloud-a",
    baseImageId: "image-debian-12",
    flavorId: "flavor-desktop",
    networkId: "net-builders",
    osDistro: "debian",
    osVersion: "12",
    extraPackages: ["libreoffice"],
    ...overrides,
  };
}

async function bakeInputs(args: XrdpDesktopImageArgs): Promise<Record<string, any>> {
  const run = await harness.runProgram(() => new XrdpDesktopImage("office-image", args), builderCloud());
  expect(run.thrown).to.equal(undefined);
  expect(run.errors).to.deep.equal([]);
  return run.byName("office-image-bake").inputs;
}

describe("XrdpDesktopImage (under the mock harness)", function () {
  this.timeout(120000);

  it("declares one dynamic bake resource parented to the component, carrying the plan's hash", async () => {
    const run = await harness.runProgram(() => new XrdpDesktopImage("office-image", imageArgs()), builderCloud());
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const component = run.byName("office-image");
    expect(component.type).to.equal("openstack-blueprints:index:XrdpDesktopImage");
    const bake = run.byName("office-image-bake");
    expect(bake.type).to.equal(DYNAMIC);
    expect(bake.parent).to.equal(component.urn);
    const plan = planDesktopBake({
      baseImage: "image-debian-12",
      osDistro: "debian",
      osVersion: "12",
      namePrefix: "office-image",
      stack: { extraPackages: ["libreoffice"] },
    });
    expect(bake.inputs).to.deep.include({
      cloud: "minicloud-a",
      availabilityZone: "",
      baseImageId: "image-debian-12",
      flavorId: "flavor-desktop",
      networkId: "net-builders",
      osDistro: "debian",
      namePrefix: "office-image",
      extraPackages: ["libreoffice"],
      packageHash: plan.packageHash,
      retainOnDelete: false,
    });
    // Pulumi serialised the provider (its closure) into the inputs: the serialisation works.
    expect(bake.inputs.__provider).to.be.a("string").and.to.contain("createBakedImage");
    // The provider runs in another process: no relative requires in its serialised code.
    expect(bake.inputs.__provider).not.to.match(/require\((["'`])\.\.?\//);
    expect(run.resources.filter((r) => r.type === DYNAMIC)).to.have.length(1);
    // The component's outputs are the bake's (the harness models the image name it makes).
    expect(await outputValue(run.value!.imageName)).to.equal(`office-image-${plan.packageHash.slice(0, 12)}`);
    expect(await outputValue(run.value!.packageHash)).to.equal(plan.packageHash);
    expect(await outputValue(run.value!.imageId)).to.equal(bake.id);
  });

  it("re-bakes (replaces) exactly when the package set, the stack definition or the base image changes", async () => {
    const ref = await bakeInputs(imageArgs());
    const same = [
      imageArgs({ extraPackages: ["libreoffice", "libreoffice"] }),
      imageArgs({ retainOnDelete: true }),
      imageArgs({ consoleTimeoutSeconds: 7200 }),
      imageArgs({ flavorId: "flavor-large" }),
      imageArgs({ networkId: "net-builders-2" }),
      // Where the builder runs is not what the image holds.
      imageArgs({ availabilityZone: "guests" }),
    ];
    for (const args of same) {
      const diff = diffBakeInputs(ref, await bakeInputs(args));
      expect(diff.replaces, JSON.stringify(args)).to.deep.equal([]);
    }
    const rebake = [
      imageArgs({ extraPackages: ["libreoffice", "gimp"] }),
      imageArgs({ extraPackages: [] }),
      imageArgs({ installRecommends: false }),
      imageArgs({ rdpGroup: "staff" }),
      imageArgs({ baseImageId: "image-ubuntu-2404" }),
    ];
    for (const args of rebake) {
      const diff = diffBakeInputs(ref, await bakeInputs(args));
      expect(diff.replaces, JSON.stringify(args)).to.include("packageHash");
      expect(diff.deleteBeforeReplace).to.equal(false); // the new image exists before the old one goes
    }
  });

  it("takes inline credentials (e.g. a DevstackHost's admin) as one secret, not re-baking when they change", async () => {
    const credentials = {
      authUrl: "http://192.0.2.10/identity/v3",
      username: "admin",
      password: "devstack-admin-pw",
      project: "admin",
    };
    const run = await harness.runProgram(
      () => new XrdpDesktopImage("office-image", imageArgs({ cloud: undefined, credentials })),
      builderCloud(),
    );
    expect(run.errors).to.deep.equal([]);
    const bake = run.byName("office-image-bake");
    expect(bake.inputs.credentials).to.deep.equal(credentials);
    expect(bake.secretPaths).to.include("credentials");
    expect(bake.additionalSecretOutputs).to.include("credentials");
    const rotated = await bakeInputs(
      imageArgs({ cloud: undefined, credentials: { ...credentials, password: "rotated" } }),
    );
    expect(diffBakeInputs(bake.inputs, rotated).replaces).to.deep.equal([]);
  });

  it("refuses bad input before declaring anything, naming each field, its value and the fix", async () => {
    for (const [args, message] of [
      [
        imageArgs({ credentials: { authUrl: "keystone:5000", username: "admin", password: "x", project: "admin" } }),
        /credentials\.authUrl: "keystone:5000" authUrl must be an http\(s\) URL/,
      ],
      [imageArgs({ osDistro: "Debian" }), /osDistro: "Debian" must be a Glance os_distro value in lower case/],
      [imageArgs({ extraPackages: ["not a package"] }), /extraPackages\[0\]: "not a package" is not a Debian package/],
      [imageArgs({ availabilityZone: "" }), /availabilityZone: "" is empty; give a zone name/],
      [
        imageArgs({ consoleTimeoutSeconds: 5 }),
        /consoleTimeoutSeconds: 5 must be a whole number of seconds, 60 or more/,
      ],
    ] as const) {
      const run = await harness.runProgram(() => new XrdpDesktopImage("bad", args));
      expect(String(run.thrown)).to.match(message);
      expect(run.resources.filter((r) => r.type === DYNAMIC)).to.deep.equal([]);
    }
  });

  it("reports every bad field at once, as one ComponentArgsError, and never shows a password", async () => {
    const run = await harness.runProgram(
      () =>
        new XrdpDesktopImage("office image", {
          credentials: { authUrl: "keystone:5000", username: "admin", password: "hunter2-secret", project: "admin" },
          baseImageId: "",
          flavorId: "flavor-desktop",
          networkId: "net-builders",
          osDistro: "Debian",
          osVersion: "twelve point oh, the bookworm release",
          extraPackages: ["libreoffice", "Not A Package"],
          rdpGroup: "RDP Users",
          consoleTimeoutSeconds: 30.5,
        }),
      builderCloud(),
    );
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    const error = run.thrown as ComponentArgsError;
    expect(error.component).to.equal("XrdpDesktopImage office image");
    expect(error.problems.map((p) => p.field).sort()).to.deep.equal(
      [
        "baseImageId",
        "consoleTimeoutSeconds",
        "credentials.authUrl",
        "extraPackages[1]",
        "namePrefix",
        "osDistro",
        "osVersion",
        "rdpGroup",
      ].sort(),
    );
    expect(error.message).to.match(/baseImageId: "" is empty; give the base image's ID/);
    expect(error.message).to.match(/namePrefix: \(not set\) defaults to the component's name "office image"/);
    expect(error.message).to.match(/rdpGroup: "RDP Users" is not a valid group name/);
    expect(error.message).not.to.contain("hunter2-secret");
    expect(run.resources.filter((r) => r.type === DYNAMIC)).to.deep.equal([]);
  });

  it("a pool on the baked image sends only the per-employee part; changing employees does not re-bake", async () => {
    const program = (employees: string[]) => () => {
      const image = new XrdpDesktopImage("office-image", imageArgs());
      return new ThinClientDesktopPool("office", {
        employees: employees.map((name) => ({ name })),
        flavor: "m1.desktop",
        imageId: image.imageId,
        bakedDesktopImage: true,
        networkCidr: "10.204.10.0/24",
        dnsNameservers: ["9.9.9.9"],
        thinClientCidr: "192.168.50.0/24",
      });
    };
    // The harness models the bake: an image exists at the bake resource's ID, and Nova's check
    // that a desktop's image exists passes only because of it.
    const cloud = builderCloud();
    const one = await harness.runProgram(program(["alice"]), cloud);
    expect(one.thrown).to.equal(undefined);
    expect(one.errors).to.deep.equal([]);
    const server = one.byName("office-alice-desktop");
    expect(server.inputs.imageId).to.equal(one.byName("office-image-bake").id);
    expect(one.byName("office-image-bake").state.imageName).to.equal(
      `office-image-${one.byName("office-image-bake").inputs.packageHash.slice(0, 12)}`,
    );
    expect([...one.dependsOnTransitively(server.urn)], "a desktop waits for the bake").to.include(
      one.byName("office-image-bake").urn,
    );
    const userData = server.inputs.userData as string;
    assertValidCloudConfig(userData, "baked desktop user data");
    const doc = parseCloudConfig(userData);
    expect(doc).not.to.have.property("packages");
    // No stack files (the image has them): only the desktop's own TLS certificate and key.
    expect(doc.write_files!.map((f) => f.path)).to.deep.equal([XRDP_TLS_CERT_PATH, XRDP_TLS_KEY_PATH]);
    expect(doc.runcmd).to.deep.equal([[DESKTOP_SETUP_SCRIPT_PATH]]);
    expect(doc.hostname).to.equal("office-alice");
    expect((doc.users as { name: string }[]).map((u) => u.name)).to.deep.equal(["alice"]);
    const two = await harness.runProgram(program(["alice", "bob"]), cloud);
    expect(
      diffBakeInputs(one.byName("office-image-bake").inputs, two.byName("office-image-bake").inputs).replaces,
    ).to.deep.equal([]);
    // Baked pools refuse package options that belong to the image.
    const wrong = await harness.runProgram(
      () =>
        new ThinClientDesktopPool("office", {
          employees: [{ name: "alice" }],
          flavor: "m1.desktop",
          imageId: "x",
          bakedDesktopImage: true,
          extraPackages: ["gimp"],
          networkCidr: "10.204.10.0/24",
          dnsNameservers: ["9.9.9.9"],
          thinClientCidr: "192.168.50.0/24",
        }),
    );
    expect(String(wrong.thrown)).to.match(
      /extraPackages: \["gimp"\] with bakedDesktopImage, extraPackages belong to the XrdpDesktopImage/,
    );
  });
});
