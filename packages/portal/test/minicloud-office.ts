/**
 * What the portal's tests against minicloud share: a small firm's office in minicloud's real Nova
 * (fake compute driver, Nova's own state machine), one server per employee on a network of its
 * own, and the clean-up of all of it, also when a test fails halfway.
 */
import { randomBytes } from "node:crypto";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

export const CLOUD = "minicloud-a";
/** How long a server may take to reach the state asked for. */
export const NOVA_TIMEOUT = 240_000;

/** Skips with the reason here; fails under CI, where everything the test needs is installed. */
export function unavailable(ctx: Mocha.Context, suite: string, why: string): never {
  unavailableHere(ctx, `${suite}: ${why}`);
}

/** Connects to minicloud's cloud, or skips (fails under CI) saying how to start it. */
export async function connectMinicloud(ctx: Mocha.Context, suite: string): Promise<OpenStackClient> {
  try {
    return await new OpenStackClient(loadCloud(CLOUD), { retry: { attempts: 3 } }).connect();
  } catch (e) {
    unavailable(
      ctx,
      suite,
      `minicloud is not reachable (${(e as Error).message}); start it with 'npx minicloud up' (cloud ${CLOUD} in clouds.yaml)`,
    );
  }
}

/** Undo steps, run last made first by runAll(), each failure printed and the rest still run. */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async runAll(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step.run().catch((e) => console.log(`      cleanup of ${step.what} failed: ${(e as Error).message}`));
    }
  }
}

/**
 * One ACTIVE server per employee, named `<prefix>-<employee>-<tag>`, on a new network
 * `<prefix>-net-<tag>` with a subnet of `cidr`; each removal is pushed to `cleanup` as soon as
 * the thing exists (servers undone before the subnet and network they use).
 */
export async function officeServers<E extends string>(
  client: OpenStackClient,
  options: { prefix: string; cidr: string; employees: readonly E[]; cleanup: Cleanup },
): Promise<Record<E, string>> {
  const { prefix, cleanup } = options;
  const flavor = (await client.nova.listFlavors()).find((f) => f.name === "m1.tiny");
  const image = (await client.glance.listImages({ name: "minicloud-tiny" }))[0];
  if (!flavor || !image)
    throw new Error("minicloud has no flavor m1.tiny or image minicloud-tiny: run 'npx minicloud up'");
  const tag = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const network = await client.neutron.createNetwork({ name: `${prefix}-net-${tag}` });
  cleanup.push(`network ${network.id}`, () => client.neutron.deleteNetwork(network.id));
  const subnet = await client.neutron.createSubnet({
    network_id: network.id,
    cidr: options.cidr,
    ip_version: 4,
    name: `${prefix}-subnet`,
  });
  cleanup.push(`subnet ${subnet.id}`, () => client.neutron.deleteSubnet(subnet.id));
  const servers = {} as Record<E, string>;
  for (const employee of options.employees) {
    const { id } = await client.nova.createServer({
      name: `${prefix}-${employee}-${tag}`,
      flavorRef: flavor.id,
      imageRef: image.id,
      networks: [{ uuid: network.id }],
    });
    servers[employee] = id;
    cleanup.push(`server ${id}`, async () => {
      await client.nova.deleteServer(id);
      await client.nova.waitForServerDeleted(id, { timeoutMs: 120_000 });
    });
  }
  for (const employee of options.employees)
    await client.nova.waitForServer(servers[employee], ["ACTIVE"], { timeoutMs: NOVA_TIMEOUT });
  return servers;
}
