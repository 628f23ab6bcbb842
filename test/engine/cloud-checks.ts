/**
 * What the real-engine tests ask the cloud directly, through the project's REST client (not
 * through Pulumi), so a resource the engine thinks it deleted but OpenStack still has is found.
 */
import { Readable } from "node:stream";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { tinyImageBytes } from "../../packages/minicloud/src/cloud-resources";

/**
 * Makes sure an image of this name exists in the client's project (public, active). On
 * minicloud's fake compute driver nothing boots, so the bytes are minicloud's tiny image.
 */
export async function ensureNamedImage(client: OpenStackClient, name: string): Promise<string> {
  const images = await client.glance.listImages({ name });
  const active = images.find((i) => i.status === "active");
  if (active) return active.id;
  for (const broken of images) await client.glance.deleteImage(broken.id);
  const image = await client.glance.createImage({ name, disk_format: "raw", container_format: "bare", min_disk: 1 });
  const bytes = tinyImageBytes();
  await client.glance.upload(image.id, Readable.from([bytes]), bytes.length);
  return image.id;
}

/** Whether a resource of this Pulumi type and ID still exists in the cloud. */
async function stillThere(client: OpenStackClient, type: string, id: string): Promise<boolean> {
  const { neutron, nova, glance } = client;
  switch (type) {
    case "openstack:networking/network:Network":
      return (await neutron.getNetwork(id)) !== undefined;
    case "openstack:networking/subnet:Subnet":
      return (await neutron.listSubnets({ id })).length > 0;
    case "openstack:networking/port:Port":
      return (await neutron.getPort(id)) !== undefined;
    case "openstack:networking/router:Router":
      return (await neutron.listRouters({ id })).length > 0;
    case "openstack:networking/routerInterface:RouterInterface":
      // The interface's ID is the router port's ID.
      return (await neutron.getPort(id)) !== undefined;
    case "openstack:networking/secGroup:SecGroup":
      return (await neutron.getSecurityGroup(id)) !== undefined;
    case "openstack:networking/secGroupRule:SecGroupRule":
      return (await neutron.listSecurityGroupRules({ id })).length > 0;
    case "openstack:networking/subnetRoute:SubnetRoute": {
      // The route's ID is "<subnet ID>-route-<destination>-<next hop>"; gone with the subnet or from its host_routes.
      const [subnet] = await neutron.listSubnets({ id: id.slice(0, 36) });
      const routes =
        (subnet as unknown as { host_routes?: Array<{ destination: string; nexthop: string }> } | undefined)
          ?.host_routes ?? [];
      return routes.some((r) => id === `${subnet!.id}-route-${r.destination}-${r.nexthop}`);
    }
    case "openstack:networking/routerRoute:RouterRoute": {
      // "<router ID>-route-<destination>-<next hop>", like SubnetRoute.
      const [router] = await neutron.listRouters({ id: id.slice(0, 36) });
      const routes =
        (router as unknown as { routes?: Array<{ destination: string; nexthop: string }> } | undefined)?.routes ?? [];
      return routes.some((r) => id === `${router!.id}-route-${r.destination}-${r.nexthop}`);
    }
    case "openstack:networking/floatingIp:FloatingIp":
      return (await neutron.getFloatingIp(id)) !== undefined;
    case "openstack:networking/floatingIpAssociate:FloatingIpAssociate": {
      // The association's ID is the floating IP's ID; gone when the IP is gone or unbound.
      const fip = await neutron.getFloatingIp(id);
      return fip !== undefined && fip.port_id !== null;
    }
    case "openstack:compute/instance:Instance":
      return (await nova.findServer(id)) !== undefined;
    case "openstack:compute/keypair:Keypair":
      return (await nova.findKeypair(id)) !== undefined;
    case "openstack:images/image:Image":
    case "pulumi-nodejs:dynamic/desktop-image:BakedImage":
      return (await glance.findImage(id)) !== undefined;
    case "openstack:compute/flavor:Flavor":
      return (await nova.listFlavors()).some((f) => f.id === id);
    case "openstack:identity/applicationCredential:ApplicationCredential": {
      // Keystone keeps a user's application credentials under the user (the stack's own user).
      const userId = client.session.tokenInfo?.userId ?? (await client.connect()).session.tokenInfo!.userId;
      const { info } = await client.session.json("identity", {
        method: "GET",
        path: `${client.cloud.auth.authUrl.replace(/\/$/, "")}/users/${userId}/application_credentials/${id}`,
        okStatuses: [404],
      });
      return info.status !== 404;
    }
    case "openstack:compute/flavorAccess:FlavorAccess":
      // "<flavor ID>/<project ID>": a grant goes with its flavor; while the flavor lives, count it as there.
      return (await nova.listFlavors()).some((f) => f.id === id.split("/")[0]);
    default:
      throw new Error(`leftovers: no check for ${type} (add one to test/engine/cloud-checks.ts)`);
  }
}

/** The resources of the list that the cloud still has, as "type name id". */
export async function leftovers(
  client: OpenStackClient,
  resources: Array<{ type: string; id: string; name: string }>,
): Promise<string[]> {
  const left: string[] = [];
  for (const r of resources) if (await stillThere(client, r.type, r.id)) left.push(`${r.type} ${r.name} ${r.id}`);
  return left;
}
