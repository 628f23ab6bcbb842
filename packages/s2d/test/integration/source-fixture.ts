/** Builds a source server in cloud A (keypair, security group with rules, port, floating IP) for the suites. */
import { generateKeyPairSync } from "node:crypto";
import { Flavor, OpenStackClient, SecurityGroup } from "@openstack-blueprints/openstack-rest";
import { projectNetwork, uniq } from "./minicloud-env";

export interface SourceFixture {
  serverIds: string[];
  group: SecurityGroup;
  keyName: string;
  publicKey: string;
  flavor: Flavor;
  imageId: string;
  cleanup: () => Promise<void>;
}

/** An OpenSSH ed25519 public key line, generated with node:crypto. */
export function sshPublicKey(comment: string): string {
  const der = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64")} ${comment}`;
}

export async function buildSource(a: OpenStackClient, count: number, withFloatingIp: boolean): Promise<SourceFixture> {
  const undo: (() => Promise<void>)[] = [];
  const tag = uniq("s2d");
  const net = await projectNetwork(a, "s2d-src-net", "10.77.1.0/24", withFloatingIp);
  undo.push(net.cleanup);
  const group = await a.neutron.createSecurityGroup({ name: `${tag}-web`, description: "s2d source group" });
  undo.push(() => a.neutron.deleteSecurityGroup(group.id));
  await a.neutron.createSecurityGroupRule({
    security_group_id: group.id,
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "tcp",
    port_range_min: 22,
    port_range_max: 22,
    remote_ip_prefix: "10.0.0.0/8",
  });
  await a.neutron.createSecurityGroupRule({
    security_group_id: group.id,
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "tcp",
    port_range_min: 8080,
    port_range_max: 8080,
    remote_group_id: group.id,
  });
  await a.neutron.createSecurityGroupRule({
    security_group_id: group.id,
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "icmp",
    remote_ip_prefix: "192.0.2.0/24",
  });
  const keyName = `${tag}-key`;
  const publicKey = sshPublicKey(`${tag}@s2d-test`);
  await a.nova.importKeypair(keyName, publicKey);
  undo.push(() => a.nova.deleteKeypair(keyName));
  const flavors = (await a.nova.listFlavors()).sort((x, y) => x.ram - y.ram || x.disk - y.disk);
  const flavor = flavors.find((f) => f.disk >= 1) ?? flavors[0];
  // The boot image of the source: 1 MiB of bytes is enough for the fake compute driver.
  const image = await a.glance.createImage({
    name: `${tag}-base`,
    disk_format: "raw",
    container_format: "bare",
    hw_firmware_type: "uefi",
    os_distro: "debian",
  });
  undo.push(() => a.glance.deleteImage(image.id));
  await a.glance.upload(image.id, require("node:stream").Readable.from([Buffer.alloc(1 << 20, 1)]), 1 << 20);
  const serverIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = await a.nova.createServer({
      name: `${tag}-src-${i}`,
      flavorRef: flavor.id,
      imageRef: image.id,
      key_name: keyName,
      networks: [{ uuid: net.network.id }],
      security_groups: [{ name: group.id }],
    });
    serverIds.push(s.id);
    undo.push(async () => {
      await a.nova.deleteServer(s.id);
      await a.nova.waitForServerDeleted(s.id, { timeoutMs: 120_000 }).catch(() => undefined);
    });
  }
  for (const id of serverIds) await a.nova.waitForServer(id, ["ACTIVE"], { timeoutMs: 180_000 });
  if (withFloatingIp) {
    const ext = (await a.neutron.listNetworks({ "router:external": true }))[0];
    const port = (await a.neutron.listPorts({ device_id: serverIds[0] }))[0];
    const fip = await a.neutron.createFloatingIp({ floating_network_id: ext.id, port_id: port.id });
    undo.push(() => a.neutron.deleteFloatingIp(fip.id));
  }
  return {
    serverIds,
    group,
    keyName,
    publicKey,
    flavor,
    imageId: image.id,
    cleanup: async () => {
      // snapshots made from these servers in A go too
      const snaps = (await a.glance.listImages({ owner: a.session.projectId }).catch(() => [])).filter(
        (i) => String(i.name ?? "").startsWith(tag) || serverIds.includes(String(i.instance_uuid ?? "")),
      );
      for (const s of snaps) if (s.id !== image.id) await a.glance.deleteImage(s.id).catch(() => undefined);
      for (const u of undo.reverse()) await u().catch(() => undefined);
    },
  };
}
