// The pool's plan, without Pulumi: what it decides from the args, and that it refuses every
// problem at once.
import { expect } from "chai";
import { ComponentArgsError } from "../../src/errors";
import {
  checkLiveQuota,
  planThinClientDesktopPool,
  renderPlannedUserData,
} from "../../src/desktop/thin-client-desktop-pool-plan";
import { ThinClientDesktopPoolArgs } from "../../src/desktop/thin-client-desktop-pool-args";
import { createXrdpCertificate } from "../../src/desktop/xrdp-certificate";

const office: ThinClientDesktopPoolArgs = {
  employees: [{ name: "alice" }, { name: "bob_k", flavor: "m1.large", powerState: "shelved_offloaded" }],
  flavor: "m1.desktop",
  imageName: "ubuntu-24.04",
  networkId: "net-lan",
  thinClientCidr: "192.168.50.0/24",
};

function problemsOf(args: ThinClientDesktopPoolArgs): ComponentArgsError {
  try {
    planThinClientDesktopPool("office", args);
  } catch (e) {
    return e as ComponentArgsError;
  }
  throw new Error("the plan accepted the args");
}

describe("ThinClientDesktopPool plan", () => {
  it("names each employee's children <pool>-<employee>-… and decides the desktop workspace by default", () => {
    const plan = planThinClientDesktopPool("office", office);
    expect(plan.workspace).to.equal("desktop");
    expect(plan.hashScheme).to.equal("sha512-crypt");
    expect(plan.userData.kind).to.equal("desktop");
    expect(plan.network).to.equal(undefined);
    expect(plan.image).to.deep.equal({ kind: "name", name: "ubuntu-24.04", lookUpId: false });
    expect(plan.homeVolumes).to.equal(undefined);
    expect(plan.desktops.map((d) => d.homeVolumeName)).to.deep.equal(["office-alice-home", "office-bob-k-home"]);
    // A home volume is attached by a block device mapping, which names the image by ID.
    const homes = planThinClientDesktopPool("office", { ...office, homeVolumes: { sizeGiB: 10 } });
    expect(homes.homeVolumes).to.deep.equal({ sizeGiB: 10 });
    expect(homes.image).to.deep.equal({ kind: "name", name: "ubuntu-24.04", lookUpId: true });
    expect(plan.desktops.map((d) => [d.hostname, d.names, d.employee.powerState])).to.deep.equal([
      [
        "office-alice",
        {
          credential: "office-alice-credential",
          tlsCertificate: "office-alice-xrdp-tls",
          port: "office-alice-port",
          server: "office-alice-desktop",
          floatingIp: "office-alice-fip",
          homeVolume: "office-alice-home",
        },
        "active",
      ],
      [
        "office-bob-k",
        {
          credential: "office-bob_k-credential",
          tlsCertificate: "office-bob_k-xrdp-tls",
          port: "office-bob_k-port",
          server: "office-bob_k-desktop",
          floatingIp: "office-bob_k-fip",
          homeVolume: "office-bob_k-home",
        },
        "shelved_offloaded",
      ],
    ]);
    expect(plan.securityRules.map((r) => r.name)).to.deep.equal(["rdp", "icmp"]);
    // Desktops get the pool's own xrdp certificate: ten years, no rotation yet.
    expect(plan.tlsCertificate).to.deep.equal({ validityDays: 3650, rotation: "" });
  });

  it("checks the TLS certificate settings, and keeps them to desktops (a Jupyter workspace has its own TLS)", () => {
    const rotated = planThinClientDesktopPool("office", {
      ...office,
      tlsCertificateValidityDays: 825,
      tlsCertificateRotation: "2027-01",
    });
    expect(rotated.tlsCertificate).to.deep.equal({ validityDays: 825, rotation: "2027-01" });
    const bad = problemsOf({ ...office, tlsCertificateValidityDays: 0 });
    expect(bad.message).to.contain("tlsCertificateValidityDays").and.contain("must be a whole number from 1 to 9000");
    const jupyter = problemsOf({ ...office, workspace: "jupyter", tlsCertificateRotation: "2027-01" });
    expect(jupyter.problems.map((p) => p.field)).to.deep.equal(["tlsCertificateRotation"]);
    expect(planThinClientDesktopPool("ml", { ...office, workspace: "jupyter" }).tlsCertificate).to.equal(undefined);
  });

  it("puts every desktop in the availability zone given (names unchanged), Nova's default without one", () => {
    expect(planThinClientDesktopPool("office", office).availabilityZone).to.equal(undefined);
    const zoned = planThinClientDesktopPool("office", { ...office, availabilityZone: "guests" });
    expect(zoned.availabilityZone).to.equal("guests");
    expect(zoned.desktops.map((d) => d.names)).to.deep.equal(
      planThinClientDesktopPool("office", office).desktops.map((d) => d.names),
    );
    const error = problemsOf({ ...office, availabilityZone: "" });
    expect(error.problems.map((p) => p.field)).to.deep.equal(["availabilityZone"]);
    expect(error.message).to.contain("availabilityZone").and.contain("is empty; give a Nova availability zone");
  });

  it("with imageHasDesktopPackages, the desktops' user data installs nothing (guests without a mirror)", async () => {
    const plan = planThinClientDesktopPool("office", { ...office, imageHasDesktopPackages: true });
    expect(plan.userData).to.deep.include({ kind: "desktop" });
    const hash = `$6$saltsalt$${"a".repeat(86)}`;
    expect(() => renderPlannedUserData(plan, plan.desktops[0], hash)).to.throw(
      /alice's xrdp TLS certificate is missing/,
    );
    const { certificatePem, privateKeyPem } = (
      await createXrdpCertificate({
        hostname: "office-alice",
        validityDays: 30,
      })
    ).outs;
    const tls = { certificatePem, privateKeyPem };
    const userData = renderPlannedUserData(plan, plan.desktops[0], hash, undefined, undefined, tls);
    expect(userData).to.not.match(/^(packages|package_update|package_upgrade|apt):/m);
    // The setup script still runs: it configures the xrdp the image carries.
    expect(userData).to.contain("/usr/local/sbin/blueprints-desktop-setup");
    const installing = renderPlannedUserData(
      planThinClientDesktopPool("office", office),
      plan.desktops[0],
      hash,
      undefined,
      undefined,
      tls,
    );
    expect(installing).to.match(/^packages:/m);
  });

  it("decides a Jupyter workspace: its port, Jupyter hashes, Jupyter user data", () => {
    const plan = planThinClientDesktopPool("ml", {
      ...office,
      workspace: "jupyter",
      jupyterServer: "lab",
      jupyterPort: 9443,
    });
    expect(plan.hashScheme).to.equal("jupyter-sha512");
    expect(plan.userData).to.deep.include({ kind: "jupyter" });
    expect(plan.securityRules[0]).to.deep.include({ name: "jupyter", port: 9443 });
    const hash = `sha512:abcdefgh:${"0".repeat(128)}`;
    expect(renderPlannedUserData(plan, plan.desktops[0], hash)).to.contain("jupyterlab");
  });

  it("reports every problem at once: fields, relations between fields, capacity", () => {
    const error = problemsOf({
      ...office,
      employees: [{ name: "Alice" }, { name: "bob", powerState: "off" }],
      networkCidr: "10.0.0.0/24",
      workspace: "desktop",
      jupyterPort: 9000,
      adminCidr: "192.168.99.0/28",
      computeHosts: [{ vcpus: 0, ramMiB: 4096 }],
      allocationRatios: "generous",
    });
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect(error.component).to.equal("ThinClientDesktopPool office");
    expect(error.problems.map((p) => p.field)).to.have.members([
      "employees[0].name",
      "employees[1].powerState",
      "networkCidr",
      "dnsNameservers",
      "jupyterPort",
      "adminPublicKey",
      "computeHosts[0].vcpus",
      "allocationRatios",
    ]);
    expect(error.message)
      .to.contain('employees[0].name: "Alice" is not a usable Linux user name')
      .and.contain(
        'networkCidr: "10.0.0.0/24" give either networkId (an existing network) or networkCidr (a new PrivateNetwork), not both',
      )
      .and.contain("SSH needs both adminCidr and adminPublicKey");
  });

  describe('checkQuota "live": the decision on Nova\'s limits (GET /limits)', () => {
    // A small firm's office of 21 desktops on m1.desktop (2 vCPUs, 4 GiB) in a project like
    // minicloud-a's: 20 instances, 40 cores, 80 GiB.
    const employees = Array.from({ length: 21 }, (_, i) => ({ name: `user${i}` }));
    const sizes = [
      { name: "m1.desktop", vcpus: 2, ramMiB: 4096 },
      { name: "m1.large", vcpus: 4, ramMiB: 8192 },
    ];
    const project = {
      maxTotalInstances: 20,
      maxTotalCores: 40,
      maxTotalRamSize: 81920,
      totalInstancesUsed: 0,
      totalCoresUsed: 0,
      totalRamUsed: 0,
    };
    const refusal = (fn: () => void): string => {
      try {
        fn();
      } catch (e) {
        expect(e).to.be.instanceOf(ComponentArgsError);
        return (e as Error).message;
      }
      throw new Error("the pool was accepted");
    };

    it("plans the lookups: only flavors whose sizes were not given", () => {
      expect(planThinClientDesktopPool("office", office).liveQuota).to.equal(undefined);
      const plan = planThinClientDesktopPool("office", { ...office, checkQuota: "live", flavorSizes: [sizes[1]] });
      expect(plan.liveQuota).to.deep.equal({ lookUpFlavors: ["m1.desktop"], flavorSizes: [sizes[1]] });
    });

    it("refuses what does not fit, naming instances, cores and RAM with need, free and the fix", () => {
      const plan = planThinClientDesktopPool("office", { ...office, employees, checkQuota: "live" });
      const used = { ...project, totalInstancesUsed: 3, totalCoresUsed: 6, totalRamUsed: 40960 };
      const message = refusal(() => checkLiveQuota(plan, used, sizes));
      expect(message).to.contain('checkQuota: "live"');
      expect(message).to.contain(
        "instances: the pool declares 21, the project allows 20 (3 in use, 17 free), short by 4",
      );
      expect(message).to.contain("cores: the pool declares 42, the project allows 40 (6 in use, 34 free), short by 8");
      expect(message).to.contain(
        "RAM (MiB): the pool declares 86016, the project allows 81920 (40960 in use, 40960 free), short by 45056",
      );
      expect(message).to.contain("openstack quota set --instances N --cores N --ram MiB");
    });

    it("with homeVolumes, also checks Cinder's quota set: volumes, storage and the size of one volume", () => {
      const plan = planThinClientDesktopPool("office", {
        ...office,
        employees: employees.slice(0, 3),
        checkQuota: "live",
        homeVolumes: { sizeGiB: 300 },
      });
      const fits = { ...project, maxTotalInstances: -1, maxTotalCores: -1, maxTotalRamSize: -1 };
      const message = refusal(() =>
        checkLiveQuota(plan, fits, sizes, { volumes: 2, gigabytes: 500, perVolumeGigabytes: 250 }),
      );
      expect(message).to.contain("the project's volume quota (read from Cinder) does not hold the pool's volumes");
      expect(message).to.contain("volumes: the pool declares 3, the project allows 2, short by 1");
      expect(message).to.contain("volume storage (GiB): the pool declares 900, the project allows 500, short by 400");
      expect(message).to.contain(
        "volume size: the pool makes volumes of 300 GiB, the project allows 250 GiB per volume",
      );
      expect(message).to.contain("openstack quota set --volumes N --gigabytes N");
      expect(message).to.not.contain("read from Nova");
      expect(() =>
        checkLiveQuota(plan, fits, sizes, { volumes: 3, gigabytes: 900, perVolumeGigabytes: -1 }),
      ).to.not.throw();
    });

    it("accepts a pool that fits exactly, and ignores unlimited (-1) quotas", () => {
      const twenty = planThinClientDesktopPool("office", {
        ...office,
        employees: employees.slice(0, 20),
        checkQuota: "live",
      });
      expect(() => checkLiveQuota(twenty, { ...project, maxTotalRamSize: 20 * 4096 }, sizes)).to.not.throw();
      const plan = planThinClientDesktopPool("office", { ...office, employees, checkQuota: "live" });
      const unlimited = { ...project, maxTotalInstances: -1, maxTotalCores: -1, maxTotalRamSize: -1 };
      expect(() => checkLiveQuota(plan, unlimited, sizes)).to.not.throw();
    });

    it("refuses an unknown checkQuota with the values it takes", () => {
      expect(problemsOf({ ...office, checkQuota: "nova" }).message).to.contain(
        'checkQuota: "nova" is not one of "given", "live"',
      );
    });
  });
});
