/**
 * A run whose teardown failed keeps its stack's state in its run folder (tearDownStack), so that
 * what it made is not forgotten. The next run of the same test reuses that folder: EngineStack's
 * init() must destroy the kept stack first (or refuse), never just empty the folder and leak the
 * cloud resources the state listed. Here the "failed teardown" is a stack left up on purpose.
 */
import { expect } from "chai";
import * as path from "node:path";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { leftovers } from "./cloud-checks";
import { EngineStack, requireEngine, StackOptions } from "./pulumi-engine";

describe("real engine: a run folder holding a kept state is destroyed before it is reused", function () {
  this.timeout(10 * 60_000);
  let bin: string;
  let client: OpenStackClient | undefined;
  const options: StackOptions = {
    programDir: path.join(__dirname, "programs/kept-state"),
    runName: "kept-state",
    cloud: "minicloud-a",
  };
  let networkId: string | undefined;

  before(async function () {
    bin = requireEngine(this);
    await requireMinicloud(this);
    client = await new OpenStackClient(loadCloud("minicloud-a")).connect();
  });

  after(async function () {
    try {
      // Whatever happened, the network goes and the folder with it.
      const stack = new EngineStack(bin, options);
      await stack.init().catch(() => undefined);
      await stack.remove();
      if (client && networkId) {
        const left = await leftovers(client, [
          { type: "openstack:networking/network:Network", id: networkId, name: "kept" },
        ]);
        if (left.length > 0) await client.neutron.deleteNetwork(networkId).catch(() => undefined);
      }
    } finally {
      client?.close();
    }
  });

  it("init() of a new run destroys the network the earlier run's kept state still holds", async () => {
    const earlier = new EngineStack(bin, options);
    await earlier.init();
    const up = await earlier.up();
    expect(up.summary.create).to.equal(2); // the stack and the network
    networkId = (await earlier.outputs()).networkId as string;
    const kept = { type: "openstack:networking/network:Network", id: networkId, name: "kept" };
    expect(await leftovers(client!, [kept]), "the earlier run's network exists").to.have.length(1);
    // The earlier run "failed its teardown": its folder and state stay. A new run of the same test:
    const next = new EngineStack(bin, options);
    await next.init();
    expect(await leftovers(client!, [kept]), "left in the cloud after the next run's init()").to.deep.equal([]);
    expect(await next.cloudResources(), "the new run starts with an empty stack").to.deep.equal([]);
  });
});
