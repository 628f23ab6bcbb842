/**
 * The real OpenStack provider against minicloud's Cinder: `openstack.blockstorage.Volume` and
 * `openstack.compute.VolumeAttach` (what a desktop's home volume is made of) are created by
 * `pulumi up`; Cinder then shows the volume in-use, attached to the stack's server; `pulumi
 * destroy` detaches and deletes it. The server is on minicloud's fake host; the data path on a
 * real guest is packages/minicloud/test/volumes.test.ts.
 */
import { expect } from "chai";
import * as path from "node:path";
import { endpoint } from "../../packages/minicloud/src/layout";
import { request } from "../../packages/minicloud/src/rest";
import { requireMinicloud, session } from "../../packages/minicloud/test/cloud-access";
import { EngineStack, requireEngine } from "./pulumi-engine";

describe("real engine: a Cinder volume attached to a server on minicloud", function () {
  this.timeout(15 * 60_000);
  let stack: EngineStack | undefined;

  before(async function () {
    const bin = requireEngine(this);
    await requireMinicloud(this);
    stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/volume-attach"),
      runName: "volume-attach",
      cloud: "minicloud-a",
    });
    await stack.init();
  });

  after(async function () {
    if (!stack) return;
    try {
      await stack.destroy();
    } finally {
      await stack.remove();
    }
  });

  it("creates the volume and the attachment; Cinder shows it in-use on the stack's server; destroy deletes it", async () => {
    const up = await stack!.up();
    expect(up.summary.create, JSON.stringify(up.summary)).to.equal(6); // stack, network, subnet, volume, server, attachment
    const out = await stack!.outputs();
    const s = await session("minicloud-a");
    const url = `${endpoint("cinder")}/${s.projectId}/volumes/${out.volumeId as string}`;
    const volume = (await request(s, "GET", url)).body.volume;
    expect(volume.status).to.equal("in-use");
    expect(volume.size).to.equal(1);
    expect(volume.attachments.map((a: { server_id: string }) => a.server_id)).to.deep.equal([out.serverId]);
    // The fake host names the disk on its default bus (/dev/sdb); a libvirt guest on virtio (/dev/vdb).
    expect(out.device).to.match(/^\/dev\/[sv]d[b-z]$/);

    const destroyed = await stack!.destroy();
    expect(destroyed.summary.delete).to.equal(6);
    // Cinder deletes the file in the background: the volume is `deleting` for a moment.
    let status = 200;
    for (let i = 0; i < 60 && status !== 404; i++) {
      status = (await request(s, "GET", url, { expect: [200, 404] })).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status, "the volume is gone from Cinder").to.equal(404);
  });
});
