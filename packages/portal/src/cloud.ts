/** What the portal asks of the cloud: one server's state and its four power actions (Nova REST). */
import { OpenStackClient, OpenStackError } from "@openstack-blueprints/openstack-rest";
import { DesktopAction, DesktopState } from "./policy";
import { addressesOf, DiscoveredDesktop, poolDesktops } from "./discovery";

export interface DesktopCloud {
  state(serverId: string): Promise<DesktopState & { addresses: string[] }>;
  act(serverId: string, action: DesktopAction): Promise<void>;
  /** The pool's desktops as Nova lists them (its servers' blueprints-pool metadata); optional for fakes. */
  discover?(pool: string): Promise<DiscoveredDesktop[]>;
  close(): void;
}

/** The portal's cloud through the project's REST client (Keystone token, re-authentication, retries). */
export class NovaDesktopCloud implements DesktopCloud {
  constructor(private readonly client: OpenStackClient) {}

  async state(serverId: string): Promise<DesktopState & { addresses: string[] }> {
    const server = await this.client.nova.findServer(serverId);
    if (!server) return { status: "MISSING", taskState: null, addresses: [] };
    return {
      status: server.status,
      taskState: server["OS-EXT-STS:task_state"] ?? null,
      addresses: addressesOf(server),
    };
  }

  async act(serverId: string, action: DesktopAction): Promise<void> {
    const nova = this.client.nova;
    try {
      await { start: nova.start, stop: nova.stop, shelve: nova.shelve, unshelve: nova.unshelve }[action].call(
        nova,
        serverId,
      );
    } catch (e) {
      // Nova's own words (e.g. 409 "in vm_state active") are safe to show: they carry no credential.
      if (e instanceof OpenStackError) throw new Error(`Nova refused ${action}: ${e.serviceMessage}`, { cause: e });
      throw e;
    }
  }

  /**
   * One listing of the project's servers (GET /servers/detail, paged): Nova's list cannot filter
   * on metadata, so the pool's are picked here. The credential's access rules allow this listing.
   */
  async discover(pool: string): Promise<DiscoveredDesktop[]> {
    return poolDesktops(await this.client.nova.listServers(), pool);
  }

  close(): void {
    this.client.close();
  }
}
