// S2DMigration alone: snapshot `analytics-01` in cloud A, stream the image into cloud B (MD5 and
// sha512 checked), and boot it there with its keypair, flavor, security-group rules and a new
// floating IP. The clouds are entries of clouds.yaml on the machine running Pulumi, so no
// credential is in this program or its config.
//   cd examples/s2d-migration && pulumi stack init dev && pulumi up
import { S2DMigration } from "@openstack-blueprints/components";

const migration = new S2DMigration("analytics", {
  source: { cloud: "cloud-a" },
  target: { cloud: "cloud-b" },
  sourceServer: "analytics-01",
  targetName: "analytics-01-near-data",
  network: "data-net",
  floatingIp: "new",
  floatingNetwork: "public",
  stopSource: true,
});

export const targetServerId = migration.targetServerId;
export const addresses = migration.addresses;
export const floatingIp = migration.floatingIp;
export const checksums = migration.checksums;
