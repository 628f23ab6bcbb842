// GPU workstations of ThinClientDesktopPool under the mock harness: the flavor it makes (or the
// existing one it checks), who gets it, and the refusals. That Nova schedules and claims the
// devices is proved on minicloud's fake GPU host (test/engine/gpu-workstations.engine.test.ts).
import { expect } from "chai";
import { defaultExistingCloud, installMocks, outputValue, T } from "@openstack-blueprints/test-harness";
import { ThinClientDesktopPool, ThinClientDesktopPoolArgs } from "../../src/desktop/thin-client-desktop-pool";
import { gpuFlavorProblem, pciAliasSpec } from "../../src/desktop/gpu-workstations";
import { planThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool-plan";
import { ComponentArgsError } from "../../src/errors";

const harness = installMocks();
const FLAVOR_ACCESS = "openstack:compute/flavorAccess:FlavorAccess";

/** A notebooks lab: three students, a Jupyter server each. */
function labArgs(overrides: Partial<ThinClientDesktopPoolArgs> = {}): ThinClientDesktopPoolArgs {
  return {
    employees: [{ name: "ada" }, { name: "ben" }, { name: "cho" }],
    flavor: "m1.desktop",
    imageName: "ubuntu-24.04",
    networkId: "net-public",
    thinClientCidr: "192.168.60.0/24",
    workspace: "jupyter",
    ...overrides,
  };
}

/** The default cloud plus GPU flavors an admin made: one asking for a "gpu", one without the extra spec. */
function cloudWithGpuFlavors() {
  const cloud = defaultExistingCloud();
  cloud.flavors.push(
    {
      id: "flavor-g1",
      name: "g1.t4",
      vcpus: 4,
      ram: 16384,
      disk: 40,
      extraSpecs: { "pci_passthrough:alias": "gpu:1" },
    },
    { id: "flavor-g0", name: "g1.plain", vcpus: 4, ram: 16384, disk: 40 },
  );
  return cloud;
}

describe("ThinClientDesktopPool GPU workstations (under the mock harness)", function () {
  this.timeout(120000);

  it("makes a private GPU flavor from the base flavor's size with pci_passthrough:alias, for the listed employees only", async () => {
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "lab",
          labArgs({
            gpu: { alias: "gpu", count: 2, baseFlavor: "m1.large", employees: ["ada", "cho"], availabilityZone: "gpu" },
          }),
        ),
    );
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const flavor = run.byName("lab-gpu-flavor");
    expect(flavor.type).to.equal(T.flavor);
    // m1.large in the harness's cloud: 4 vCPUs, 8 GiB, 80 GB.
    expect(flavor.inputs).to.deep.include({
      name: "lab-gpux2",
      vcpus: 4,
      ram: 8192,
      disk: 80,
      isPublic: false,
      extraSpecs: { "pci_passthrough:alias": "gpu:2" },
    });
    const access = run.byType(FLAVOR_ACCESS);
    expect(access.map((a) => [a.name, a.inputs.tenantId])).to.deep.equal([["lab-gpu-flavor-access", "mock-project"]]);
    const server = (who: string) => run.byName(`lab-${who}-desktop`).inputs;
    expect([server("ada").flavorName, server("ada").availabilityZone]).to.deep.equal(["lab-gpux2", "gpu"]);
    expect([server("cho").flavorName, server("cho").availabilityZone]).to.deep.equal(["lab-gpux2", "gpu"]);
    expect([server("ben").flavorName, server("ben").availabilityZone]).to.deep.equal(["m1.desktop", undefined]);
    // The servers wait for the flavor's access grant: without it a member's boot finds no flavor.
    const waits = run.dependsOnTransitively(run.byName("lab-ada-desktop").urn);
    expect(waits.has(access[0]!.urn)).to.equal(true);
    const desktops = await outputValue((run.value as ThinClientDesktopPool).desktops);
    expect(desktops.ada?.flavor).to.equal("lab-gpux2");
    expect(desktops.ben?.flavor).to.equal("m1.desktop");
  });

  it("uses an existing GPU flavor after checking its extra spec, and refuses one without it before any child", async () => {
    const ok = await harness.runProgram(
      () => new ThinClientDesktopPool("lab", labArgs({ gpu: { alias: "gpu", flavor: "g1.t4" } })),
      cloudWithGpuFlavors(),
    );
    expect(ok.thrown).to.equal(undefined);
    expect(ok.errors).to.deep.equal([]);
    expect(ok.byType(T.flavor)).to.have.length(0);
    expect(ok.byType(T.instance).map((s) => s.inputs.flavorName)).to.deep.equal(["g1.t4", "g1.t4", "g1.t4"]);
    expect(harness.calls.map((c) => `${c.token} ${c.inputs.name}`)).to.include(
      "openstack:compute/getFlavor:getFlavor g1.t4",
    );

    const plain = await harness.runProgram(
      () => new ThinClientDesktopPool("lab", labArgs({ gpu: { alias: "gpu", flavor: "g1.plain" } })),
      cloudWithGpuFlavors(),
    );
    const message = plain.errors.map((e) => e.message).join("\n");
    expect(message).to.contain('gpu.flavor: "g1.plain" has no pci_passthrough:alias extra spec');
    expect(message).to.contain("openstack flavor set --property pci_passthrough:alias=gpu:1 g1.plain");
    expect(plain.resources.map((r) => r.name)).to.deep.equal(["lab"]);

    const two = await harness.runProgram(
      () => new ThinClientDesktopPool("lab", labArgs({ gpu: { alias: "gpu", count: 2, flavor: "g1.t4" } })),
      cloudWithGpuFlavors(),
    );
    expect(two.errors.map((e) => e.message).join("\n")).to.contain(
      'asks for 1 "gpu" device(s) (pci_passthrough:alias=gpu:1), not gpu.count 2. Fix: set gpu.count to 1',
    );
    expect(two.resources.map((r) => r.name)).to.deep.equal(["lab"]);
  });

  it("the capacity check counts each workstation's GPUs on the declared hosts and names GPUs when they run out", () => {
    const sizes = {
      flavorSizes: [
        { name: "m1.desktop", vcpus: 2, ramMiB: 4096, diskGiB: 20 },
        { name: "m1.large", vcpus: 4, ramMiB: 8192, diskGiB: 80 },
      ],
    };
    const cpuHost = { name: "lab-host", vcpus: 32, ramMiB: 131072 };
    const gpuHost = { name: "gpu-host", vcpus: 16, ramMiB: 65536, gpus: [{ alias: "gpu", count: 2 }] };
    const problemsOf = (args: ThinClientDesktopPoolArgs) => {
      try {
        return planThinClientDesktopPool("lab", args).capacitySummary;
      } catch (e) {
        return (e as ComponentArgsError).problems.map((p) => `${p.field}: ${p.problem}`).join("\n");
      }
    };
    // Two students with one GPU each on a host with two: fits, and the summary counts the devices.
    const gpu = { alias: "gpu", count: 1, baseFlavor: "m1.large", employees: ["ada", "cho"] };
    expect(problemsOf(labArgs({ ...sizes, gpu, computeHosts: [cpuHost, gpuHost] }))).to.contain(
      "3 desktops (0 shelved, not counted) use 10/192 vCPUs and 20480/195584 MiB and 2/2 × gpu (ratios cpu 4, ram 1); limited by GPUs",
    );
    // Two GPUs each: four asked, two exist; vCPUs and RAM to spare. Refused, naming GPUs.
    const refused = problemsOf(labArgs({ ...sizes, gpu: { ...gpu, count: 2 }, computeHosts: [cpuHost, gpuHost] }));
    expect(refused).to.contain("computeHosts: the desktops do not fit the compute hosts");
    expect(refused).to.contain("and 4 × gpu;");
    expect(refused).to.contain("Limited by GPUs: add GPU hosts or devices");
    // Hosts that declare no GPUs hold no GPU workstation (Nova would answer NoValidHost).
    expect(problemsOf(labArgs({ ...sizes, gpu, computeHosts: [cpuHost] }))).to.contain("Limited by GPUs");
    // A shelved GPU workstation holds no device (shelved_offloaded frees its host's claim).
    expect(
      problemsOf(
        labArgs({
          ...sizes,
          employees: [{ name: "ada" }, { name: "ben" }, { name: "cho", powerState: "shelved_offloaded" }],
          gpu: { ...gpu, count: 2 },
          computeHosts: [cpuHost, gpuHost],
        }),
      ),
    ).to.contain("and 2/2 × gpu");
  });

  it("reads a flavor's extra spec as Nova writes it: several aliases, spaces, another alias", () => {
    const gpu = { alias: "t4", count: 1, extraSpec: pciAliasSpec("t4", 1), employees: [], existingFlavor: "g" };
    expect(gpuFlavorProblem(gpu, { "pci_passthrough:alias": "nic:1, t4:1" })).to.equal(undefined);
    expect(gpuFlavorProblem(gpu, { "pci_passthrough:alias": "a100:1" })).to.contain('not alias "t4"');
    expect(gpuFlavorProblem(gpu, {})).to.contain("has no pci_passthrough:alias");
    expect(gpuFlavorProblem(gpu, undefined)).to.contain("has no pci_passthrough:alias");
  });

  it("refuses bad GPU settings before any resource, naming field, value and fix", async () => {
    const cases: [Partial<ThinClientDesktopPoolArgs>, string][] = [
      [{ gpu: { alias: "gpu:2", baseFlavor: "m1.large" } }, 'gpu.alias: "gpu:2" is not a PCI alias name'],
      [{ gpu: { alias: "", baseFlavor: "m1.large" } }, 'gpu.alias: "" is not a PCI alias name'],
      [
        { gpu: { alias: "gpu", count: 0, baseFlavor: "m1.large" } },
        "gpu.count: 0 must be a whole number of devices per workstation, 1 or more",
      ],
      [{ gpu: { alias: "gpu", count: 1.5, baseFlavor: "m1.large" } }, "gpu.count: 1.5 must be a whole number"],
      [{ gpu: { alias: "gpu" } }, "gpu.baseFlavor: (not set) give gpu.baseFlavor"],
      [{ gpu: { alias: "gpu", baseFlavor: "m1.large", flavor: "g1.t4" } }, "and gpu.flavor both given; give one"],
      [
        { gpu: { alias: "gpu", baseFlavor: "m1.large", employees: ["zoe"] } },
        'gpu.employees[0]: "zoe" is not an employee of the pool; give names from employees (ada, ben, cho)',
      ],
      [
        { gpu: { alias: "gpu", baseFlavor: "m1.large", employees: ["ada", "ada"] } },
        'gpu.employees[1]: "ada" is listed twice',
      ],
      [{ gpu: { alias: "gpu", baseFlavor: "m1.large", employees: [] } }, "gpu.employees: [] is empty"],
      [
        { employees: [{ name: "ada", flavor: "m1.large" }], gpu: { alias: "gpu", baseFlavor: "m1.large" } },
        'employees[0].flavor: "m1.large" is set for ada, who has a GPU workstation',
      ],
      [
        { gpu: "gpu" as unknown as ThinClientDesktopPoolArgs["gpu"] },
        'gpu: "gpu" is not a GPU setting; give e.g. { alias: "gpu"',
      ],
    ];
    for (const [overrides, message] of cases) {
      const run = await harness.runProgram(() => new ThinClientDesktopPool("lab", labArgs(overrides)));
      expect(run.thrown?.message ?? run.errors.map((e) => e.message).join("; "), JSON.stringify(overrides)).to.contain(
        message,
      );
      expect(
        run.resources.filter((r) => r.custom),
        JSON.stringify(overrides),
      ).to.have.length(0);
    }
  });
});
