/**
 * checkQuota "live" in the real engine against minicloud: the pool reads the project's real
 * compute limits and use (Nova's GET /limits through the OpenStack provider's getLimitsV2, the
 * project from getAuthScope; as a member, whom Nova's policy refuses that, the quota set through
 * getQuotaSetV2) and the flavor's size (getFlavor), during preview and up. Project
 * minicloud-a allows 20 instances, 40 cores and 80 GiB of RAM: 21 desktops on m1.desktop (2 vCPUs,
 * 4 GiB) are refused, naming all three, and nothing is registered; 2 desktops are planned. With
 * homeVolumes the pool also reads Cinder's quota set (getQuotasetV3): 2 × 300 GiB exceeds
 * minicloud's 500 GB and is refused; 2 × 200 GiB is planned with both volumes.
 */
import { expect } from "chai";
import * as path from "node:path";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { EngineStack, requireEngine, urnType } from "./pulumi-engine";

describe("real engine: the desktop pool checks minicloud's real quota before declaring anything", function () {
  this.timeout(10 * 60_000);
  let bin: string;

  before(async function () {
    bin = requireEngine(this);
    await requireMinicloud(this);
  });

  async function withPool<T>(
    desktops: number,
    run: (stack: EngineStack) => Promise<T>,
    homeVolumeGiB?: number,
  ): Promise<T> {
    const stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/live-quota"),
      runName: `live-quota-${desktops}${homeVolumeGiB !== undefined ? `-homes-${homeVolumeGiB}` : ""}`,
      cloud: "minicloud-a",
      config: {
        "engine-test-live-quota:desktops": String(desktops),
        ...(homeVolumeGiB !== undefined ? { "engine-test-live-quota:homeVolumeGiB": String(homeVolumeGiB) } : {}),
      },
    });
    await stack.init();
    try {
      return await run(stack);
    } finally {
      await stack.remove();
    }
  }

  it("refuses 21 desktops in preview and up, naming instances, cores and RAM, with nothing registered", async () => {
    await withPool(21, async (stack) => {
      const preview = await stack.run(["preview"]);
      const out = preview.stdout + preview.stderr;
      expect(preview.code, out).to.not.equal(0);
      expect(out).to.include("the project's quota (read from Nova) does not hold the pool");
      // minicloud-a's user is a member: Nova keeps GET /limits?tenant_id= (what the provider sends)
      // for admins, so the pool reads the quota set and says the use is not counted.
      expect(out).to.include("instances: the pool declares 21, the project allows 20, short by 1");
      expect(out).to.include("cores: the pool declares 42, the project allows 40, short by 2");
      expect(out).to.include("RAM (MiB): the pool declares 86016, the project allows 81920, short by 4096");
      expect(out).to.include("os_compute_api:limits:other_project");
      expect(out).to.include("openstack quota set --instances N --cores N --ram MiB");

      const up = await stack.run(["up", "--yes", "--skip-preview"]);
      expect(up.code, up.stdout + up.stderr).to.not.equal(0);
      const state = await stack.exportState();
      const custom = (state.deployment.resources ?? [])
        .map((r) => r.type)
        .filter((t) => t.startsWith("openstack:") && !t.startsWith("pulumi:providers:"));
      expect(custom, "cloud resources in the state").to.deep.equal([]);
    });
  });

  it("plans 2 desktops: the lookups pass and every child is declared", async () => {
    await withPool(2, async (stack) => {
      const preview = await stack.preview();
      const servers = preview.steps.filter((s) => urnType(s.urn) === "openstack:compute/instance:Instance");
      expect(servers.map((s) => s.urn.split("::").pop())).to.have.members([
        "office-staff0-desktop",
        "office-staff1-desktop",
      ]);
    });
  });

  // minicloud's projects allow 50 volumes and 500 GB of Cinder storage (packages/minicloud).
  it("refuses 2 desktops with 300-GiB home volumes in preview, naming Cinder's storage quota; 2 with 200 GiB are planned", async () => {
    await withPool(
      2,
      async (stack) => {
        const preview = await stack.run(["preview"]);
        const out = preview.stdout + preview.stderr;
        expect(preview.code, out).to.not.equal(0);
        expect(out).to.include("the project's volume quota (read from Cinder) does not hold the pool's volumes");
        expect(out).to.include("volume storage (GiB): the pool declares 600, the project allows 500, short by 100");
        expect(out).to.not.include("read from Nova");
      },
      300,
    );
    await withPool(
      2,
      async (stack) => {
        const preview = await stack.preview();
        const volumes = preview.steps.filter((s) => urnType(s.urn) === "openstack:blockstorage/volume:Volume");
        expect(volumes.map((s) => s.urn.split("::").pop())).to.have.members([
          "office-staff0-home",
          "office-staff1-home",
        ]);
      },
      200,
    );
  });
});
