// A Cinder volume attached to a server with the OpenStack provider's own resources
// (blockstorage.Volume, compute.VolumeAttach), the way a desktop's home volume is declared. The
// server is on minicloud's fake host (no zone): this proves the provider's calls against the real
// Cinder and Nova APIs; packages/minicloud/test/volumes.test.ts proves the data path on a real guest.
import * as openstack from "@pulumi/openstack";

const network = new openstack.networking.Network("net", {});
const subnet = new openstack.networking.Subnet("subnet", {
  networkId: network.id,
  cidr: "10.231.40.0/24",
  enableDhcp: false,
});
const volume = new openstack.blockstorage.Volume("home", { size: 1, description: "an employee's home" });
const server = new openstack.compute.Instance(
  "desktop",
  { flavorName: "m1.tiny", imageName: "minicloud-tiny", networks: [{ uuid: network.id }] },
  { dependsOn: [subnet] },
);
const attachment = new openstack.compute.VolumeAttach("home-attach", {
  instanceId: server.id,
  volumeId: volume.id,
});
export const volumeId = volume.id;
export const serverId = server.id;
export const device = attachment.device;
