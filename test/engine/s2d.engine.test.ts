/**
 * examples/s2d-migration through the real engine: the S2DMigration dynamic provider runs in the
 * engine's provider process (its code serialised by the engine, as for any user) and moves a
 * server of project minicloud-a into minicloud-b.
 *
 * minicloud's fake compute driver never uploads a snapshot's bytes (the image stays `queued`), so
 * while `pulumi up` runs, this test does what a hypervisor would: it writes bytes into the
 * snapshot image Nova made for the source server. Everything else — the snapshot request, the
 * stream from Glance A into Glance B with its checksums, keypair, flavor, rules, port and server
 * in B — is the component's own work, through the engine.
 */
import { expect } from "chai";
import * as path from "node:path";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import {
  closeAll,
  connectMinicloud,
  fillSnapshot,
  Minicloud,
  projectNetwork,
} from "../../packages/s2d/test/integration/minicloud-env";
import { buildSource, SourceFixture } from "../../packages/s2d/test/integration/source-fixture";
import { changes, EngineStack, REPO_ROOT, requireEngine } from "./pulumi-engine";
import { tearDownStack } from "./minicloud-stack";

const SNAPSHOT_BYTES = 4 << 20;

/** Fills every queued snapshot of the server in A until stopped (what a real hypervisor does). */
function fillSnapshotsOf(a: OpenStackClient, serverId: string): { stop: () => Promise<string[]> } {
  const filled: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const images = await a.glance.listImages({ owner: a.session.projectId }).catch(() => []);
      for (const img of images) {
        if (String(img.instance_uuid ?? "") === serverId && img.status === "queued" && !filled.includes(img.id)) {
          filled.push(img.id);
          await fillSnapshot(a, img.id, SNAPSHOT_BYTES).catch(() => filled.pop());
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return filled;
    },
  };
}

describe("real engine: S2DMigration (examples/s2d-migration) from minicloud-a to minicloud-b", function () {
  this.timeout(20 * 60_000);
  let stack: EngineStack;
  let clouds: Minicloud | undefined;
  let source: SourceFixture | undefined;
  let targetNet: { cleanup: () => Promise<void> } | undefined;
  let targetNetName = "";

  before(async function () {
    const bin = requireEngine(this);
    await requireMinicloud(this);
    clouds = await connectMinicloud(this, "s2d under the real engine");
    if (!clouds) return;
    source = await buildSource(clouds.a, 1, false);
    const net = await projectNetwork(clouds.b, "s2d-engine-net", "10.77.9.0/24", true);
    targetNet = net;
    targetNetName = net.network.name;
    stack = new EngineStack(bin, {
      programDir: path.join(REPO_ROOT, "examples/s2d-migration"),
      runName: "example-s2d-migration",
    });
    await stack.init();
    stack.editProgram("index.ts", (t) =>
      t
        .replace('{ cloud: "cloud-a" }', '{ cloud: "minicloud-a" }')
        .replace('{ cloud: "cloud-b" }', '{ cloud: "minicloud-b" }')
        .replace('sourceServer: "analytics-01"', `sourceServer: "${source!.serverIds[0]}"`)
        .replace('network: "data-net"', `network: "${targetNetName}"`),
    );
  });

  after(async function () {
    try {
      if (stack) await tearDownStack(stack);
    } finally {
      await source?.cleanup();
      await targetNet?.cleanup().catch(() => undefined);
      closeAll(clouds);
    }
  });

  let targetServerId = "";

  it("up: the provider process snapshots A, streams the image into B and boots it there", async () => {
    const filler = fillSnapshotsOf(clouds!.a, source!.serverIds[0]);
    let up;
    try {
      up = await stack.up();
    } finally {
      expect(await filler.stop(), "the snapshot the migration asked Nova for").to.have.length.greaterThan(0);
    }
    // The stack, the S2DMigration component and its migration resource.
    expect(changes(up.summary)).to.deep.equal({ create: 3 });
    const outputs = await stack.outputs();
    targetServerId = String(outputs.targetServerId);
    const server = await clouds!.b.nova.getServer(targetServerId);
    expect(server.status).to.equal("ACTIVE");
    expect(String(outputs.floatingIp)).to.match(/^172\.24\.4\./);
    // The new server's addresses as Nova reports them, and the checksums B's image was verified with.
    const addresses = outputs.addresses as Record<string, string[]>;
    expect(Object.keys(addresses)).to.deep.equal([targetNetName]);
    expect(addresses[targetNetName]).to.include(String(outputs.floatingIp));
    const image = await clouds!.b.glance.getImage((server.image as { id: string }).id);
    expect(outputs.checksums).to.deep.include({
      md5: image.checksum,
      hashAlgo: image.os_hash_algo,
      hashValue: image.os_hash_value,
      hashCheck: "same-algorithm",
    });
  });

  it("a second up changes nothing (the migration is not run again)", async () => {
    expect(changes((await stack.up()).summary)).to.deep.equal({});
  });

  it("destroy removes the server from B", async () => {
    expect(targetServerId, "the up test recorded the server").to.match(/^[0-9a-f-]{36}$/);
    expect(changes((await stack.destroy()).summary)).to.have.keys("delete");
    expect(await clouds!.b.nova.findServer(targetServerId)).to.equal(undefined);
  });
});
