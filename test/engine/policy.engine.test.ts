/**
 * The policy pack (packages/policy) in a real `pulumi preview --policy-pack`: the engine runs
 * the pack through the Node.js language host next to the program, against minicloud.
 */
import { expect } from "chai";
import * as path from "node:path";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { EngineStack, REPO_ROOT, requireEngine } from "./pulumi-engine";

const POLICY_PACK = path.join(REPO_ROOT, "packages/policy");

describe("real engine: the policy pack in pulumi preview", function () {
  this.timeout(10 * 60_000);
  let bin: string;

  before(async function () {
    bin = requireEngine(this);
    await requireMinicloud(this);
  });

  async function previewWith(sshSource: string) {
    const stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/ssh-rule"),
      runName: `policy-ssh-${sshSource.replace(/[./]/g, "_")}`,
      cloud: "minicloud-a",
      config: { "engine-test-ssh-rule:sshSource": sshSource },
    });
    await stack.init();
    try {
      return await stack.run(["preview", "--policy-pack", POLICY_PACK]);
    } finally {
      await stack.remove();
    }
  }

  it("refuses SSH from 0.0.0.0/0: the preview fails and names the policy", async () => {
    const r = await previewWith("0.0.0.0/0");
    const out = r.stdout + r.stderr;
    expect(r.code, out).to.not.equal(0);
    expect(out).to.include("no-world-open-admin-ingress");
    expect(out).to.match(/mandatory/i);
  });

  it("lets SSH from a private block through", async () => {
    const r = await previewWith("10.20.0.0/24");
    const out = r.stdout + r.stderr;
    expect(r.code, out).to.equal(0);
    expect(out).to.not.include("no-world-open-admin-ingress");
  });
});
