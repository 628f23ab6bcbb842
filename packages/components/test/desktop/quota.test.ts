import { expect } from "chai";
import { cinderShortfalls, poolQuotaDemand, quotaShortfalls } from "../../src/desktop/quota";

describe("project quota check of a desktop pool", () => {
  const office = poolQuotaDemand({
    flavors: Array.from({ length: 200 }, () => "m1.desktop"),
    flavorSizes: [{ name: "m1.desktop", vcpus: 2, ramMiB: 2048 }],
    floatingIps: true,
    securityRules: 3,
  });

  it("counts every desktop (Nova's quota counts shutoff and shelved servers), its port, floating IP and the group's rules", () => {
    expect(office).to.deep.equal({
      instances: 200,
      cores: 400,
      ramMiB: 409600,
      floatingIps: 200,
      ports: 200,
      securityGroups: 1,
      securityGroupRules: 5,
    });
    // Unknown flavor sizes: cores and RAM are left out rather than guessed.
    expect(poolQuotaDemand({ flavors: ["x"], floatingIps: false, securityRules: 2 })).to.deep.equal({
      instances: 1,
      floatingIps: 0,
      ports: 1,
      securityGroups: 1,
      securityGroupRules: 4,
    });
  });

  it("names every shortfall of a small firm's office on a fresh DevStack project, and none when it fits", () => {
    const fresh = {
      instances: 10,
      cores: 20,
      ramMiB: 51200,
      floatingIps: 50,
      ports: 500,
      securityGroups: 10,
      securityGroupRules: 100,
    };
    expect(quotaShortfalls(fresh, office)).to.deep.equal([
      "instances: the pool declares 200, the project allows 10, short by 190",
      "cores: the pool declares 400, the project allows 20, short by 380",
      "RAM (MiB): the pool declares 409600, the project allows 51200, short by 358400",
      "floating IPs: the pool declares 200, the project allows 50, short by 150",
    ]);
    expect(quotaShortfalls({ instances: 210, cores: -1, ramMiB: 430080, floatingIps: 210 }, office)).to.deep.equal([]);
    expect(quotaShortfalls({ instances: 200 }, office, { instances: 1 })).to.deep.equal([
      "instances: the pool declares 200, the project allows 200 (1 already in use), short by 1",
    ]);
  });

  it("counts Cinder volumes: one home volume per desktop, plus a boot volume each with bootVolumeGiB", () => {
    const withHomes = poolQuotaDemand({
      flavors: ["a", "a", "a"],
      floatingIps: false,
      securityRules: 1,
      homeVolumeGiB: 20,
    });
    expect(withHomes).to.include({ volumes: 3, volumeGiB: 60 });
    const both = poolQuotaDemand({
      flavors: ["a", "a"],
      floatingIps: false,
      securityRules: 1,
      homeVolumeGiB: 20,
      bootVolumeGiB: 15,
    });
    expect(both).to.include({ volumes: 4, volumeGiB: 70, largestVolumeGiB: 20 });
    // No volumes made: nothing to check against Cinder.
    expect(poolQuotaDemand({ flavors: ["a"], floatingIps: false, securityRules: 1 })).to.not.have.any.keys(
      "volumes",
      "volumeGiB",
    );
  });

  it("names where Cinder's quota set does not hold the office's home volumes (Cinder's defaults: 10 volumes, 1000 GiB)", () => {
    const homes = poolQuotaDemand({
      flavors: Array.from({ length: 200 }, () => "m1.desktop"),
      floatingIps: true,
      securityRules: 3,
      homeVolumeGiB: 20,
    });
    expect(cinderShortfalls({ volumes: 10, gigabytes: 1000, perVolumeGigabytes: -1 }, homes)).to.deep.equal([
      "volumes: the pool declares 200, the project allows 10, short by 190",
      "volume storage (GiB): the pool declares 4000, the project allows 1000, short by 3000",
    ]);
    expect(cinderShortfalls({ volumes: 200, gigabytes: 4000, perVolumeGigabytes: 10 }, homes)).to.deep.equal([
      "volume size: the pool makes volumes of 20 GiB, the project allows 10 GiB per volume",
    ]);
    expect(cinderShortfalls({ volumes: -1, gigabytes: 4000, perVolumeGigabytes: 20 }, homes)).to.deep.equal([]);
  });
});
