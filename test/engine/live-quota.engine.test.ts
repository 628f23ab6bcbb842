/**
 * checkQuota "live" in the real engine against minicloud: the pool reads the project's real
 * compute limits and use (Nova's GET /limits through the OpenStack provider's getLimitsV2, the
 * project from getAuthScope; as a member, whom Nova's policy refuses that, the quota set through
 * getQuotaSetV2) and the flavor's size (getFlavor), during preview and up. Project
 * minicloud-a allows 20 instances, 40 cores and 80 GiB of RAM: 21 desktops on m1.desktop (2 vCPUs,
 * 4 GiB) are refused, naming all three, and nothing is registered; 2 desktops are planned.
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

  async function withPool<T>(desktops: number, run: (stack: EngineStack) => Promise<T>): Promise<T> {
    const stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/live-quota"),
      runName: `live-quota-${desktops}`,
      cloud: "minicloud-a",
      config: { "engine-test-live-quota:desktops": String(desktops) },
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
});
