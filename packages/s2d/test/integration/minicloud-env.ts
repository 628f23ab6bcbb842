/**
 * Finding minicloud for the integration suites: clouds `minicloud-a`, `minicloud-b` (two
 * projects standing in for two clouds) and `minicloud-admin` from clouds.yaml (standard
 * search path or OS_CLIENT_CONFIG_FILE). When they are not reachable: FAIL under CI
 * (BLUEPRINTS_CI=1), otherwise skip after saying why.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { Network, OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

export interface Minicloud {
  a: OpenStackClient;
  b: OpenStackClient;
  admin?: OpenStackClient;
}

export async function connectMinicloud(ctx: Mocha.Context, suite: string): Promise<Minicloud | undefined> {
  try {
    const a = new OpenStackClient(loadCloud("minicloud-a"), { retry: { attempts: 3 } });
    const b = new OpenStackClient(loadCloud("minicloud-b"), { retry: { attempts: 3 } });
    await a.connect();
    await b.connect();
    let admin: OpenStackClient | undefined;
    try {
      admin = await new OpenStackClient(loadCloud("minicloud-admin")).connect();
    } catch {
      admin = undefined;
    }
    return { a, b, admin };
  } catch (e) {
    const why = `${suite}: minicloud is not reachable (${(e as Error).message}); start it with 'npx minicloud up' (clouds minicloud-a/minicloud-b in clouds.yaml)`;
    unavailableHere(ctx, why);
    return undefined;
  }
}

export function closeAll(m?: Minicloud): void {
  m?.a.close();
  m?.b.close();
  m?.admin?.close();
}

/** A private network usable by the project: an existing non-external one, or a new one. */
export async function projectNetwork(
  c: OpenStackClient,
  name: string,
  cidr: string,
  withRouter: boolean,
): Promise<{ network: Network; cleanup: () => Promise<void> }> {
  const undo: (() => Promise<void>)[] = [];
  let network: Network | undefined;
  {
    network = await c.neutron.createNetwork({ name: uniq(name) });
    const net = network;
    undo.push(() => c.neutron.deleteNetwork(net.id));
    const subnet = await c.neutron.createSubnet({ network_id: net.id, cidr, ip_version: 4, name: `${name}-subnet` });
    undo.push(() => c.neutron.deleteSubnet(subnet.id));
    if (withRouter) {
      const ext = (await c.neutron.listNetworks({ "router:external": true }))[0];
      if (!ext) throw new Error("minicloud has no external network for floating IPs");
      const router = await c.neutron.createRouter({
        name: `${name}-router`,
        external_gateway_info: { network_id: ext.id },
      });
      undo.push(() => c.neutron.deleteRouter(router.id));
      await c.neutron.addRouterInterface(router.id, { subnet_id: subnet.id });
      undo.push(() => c.neutron.removeRouterInterface(router.id, { subnet_id: subnet.id }));
    }
  }
  return {
    network,
    cleanup: async () => {
      for (const u of undo.reverse()) await u().catch(() => undefined);
    },
  };
}

/** Deterministic pseudo-random data of `size` bytes, streamed (never held in memory). */
export function randomStream(size: number, chunk = 1 << 20): Readable {
  let sent = 0;
  const block = randomBytes(chunk);
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunk, size - sent);
      // vary each chunk so the image is not one repeated block
      const buf = Buffer.from(block.subarray(0, n));
      buf.writeUInt32BE(sent >>> 0, 0);
      sent += n;
      this.push(buf);
    },
  });
}

/**
 * The fake compute driver uploads no data for a snapshot (its image stays queued), so the
 * tests put bytes into the snapshot image themselves, as a real hypervisor would.
 */
export async function fillSnapshot(a: OpenStackClient, imageId: string, size: number | Buffer): Promise<void> {
  const img = await a.glance.waitForImage(imageId, ["queued", "active"], { timeoutMs: 60_000 });
  if (img.status === "active") return;
  // Nova sets the formats while a real driver uploads; the fake driver leaves them unset.
  if (!img.disk_format || !img.container_format)
    await a.glance.updateProperties(imageId, { disk_format: "raw", container_format: "bare" });
  // Given bytes: two servers of one base image, nothing written since, snapshot to the same disk.
  if (Buffer.isBuffer(size)) await a.glance.upload(imageId, Readable.from([size]), size.length);
  else await a.glance.upload(imageId, randomStream(size), size);
}

export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}
