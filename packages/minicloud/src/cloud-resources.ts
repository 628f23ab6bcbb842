/**
 * Admin-side resources every test and stack expects: the external network with a floating-IP
 * pool, flavors, a small image, and quotas for the test projects. All idempotent.
 */
import * as crypto from "crypto";
import { EXTERNAL_NETWORK, HOST, PORTS, PROVIDER_PHYSNET } from "./layout";
import { GlanceImage, Identified, NeutronSubnet, NovaFlavor } from "./openstack-bodies";
import { NOVA_MICROVERSION, request, Session } from "./rest";

const NEUTRON = `http://${HOST}:${PORTS.neutron}/v2.0`;
const NOVA = `http://${HOST}:${PORTS.nova}/v2.1`;
const GLANCE = `http://${HOST}:${PORTS.glance}/v2`;
const CINDER = `http://${HOST}:${PORTS.cinder}/v3`;

export interface FlavorSpec {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

export const FLAVORS: readonly FlavorSpec[] = [
  { name: "m1.tiny", vcpus: 1, ram: 512, disk: 1 },
  { name: "m1.small", vcpus: 1, ram: 2048, disk: 20 },
  { name: "m1.medium", vcpus: 2, ram: 4096, disk: 40 },
  { name: "m1.desktop", vcpus: 2, ram: 4096, disk: 40 },
];

export const IMAGE_NAME = "minicloud-tiny";
export const IMAGE_SIZE = 1024 * 1024;

/**
 * The bootstrap image's bytes: 1 MiB made locally (no internet here). The fake driver never
 * boots it; it only has to be a real image with real data and checksums.
 */
export function tinyImageBytes(): Buffer {
  const out = Buffer.alloc(IMAGE_SIZE);
  let block = crypto.createHash("sha256").update("minicloud-tiny-image").digest();
  for (let off = 0; off < IMAGE_SIZE; off += block.length) {
    block.copy(out, off);
    block = crypto.createHash("sha256").update(block).digest();
  }
  return out;
}

export async function ensureExternalNetwork(s: Session): Promise<string> {
  const nets = (
    await request<{ networks: Identified[] }>(s, "GET", `${NEUTRON}/networks?name=${EXTERNAL_NETWORK.name}`)
  ).body.networks;
  let netId = nets[0]?.id;
  if (!netId) {
    netId = (
      await request<{ network: Identified }>(s, "POST", `${NEUTRON}/networks`, {
        body: {
          network: {
            name: EXTERNAL_NETWORK.name,
            "router:external": true,
            shared: false,
            "provider:network_type": "flat",
            "provider:physical_network": PROVIDER_PHYSNET,
          },
        },
      })
    ).body.network.id;
  }
  const subnets = (await request<{ subnets: NeutronSubnet[] }>(s, "GET", `${NEUTRON}/subnets?network_id=${netId}`)).body
    .subnets;
  if (!subnets.some((x) => x.cidr === EXTERNAL_NETWORK.cidr)) {
    await request(s, "POST", `${NEUTRON}/subnets`, {
      body: {
        subnet: {
          name: EXTERNAL_NETWORK.subnetName,
          network_id: netId,
          ip_version: 4,
          cidr: EXTERNAL_NETWORK.cidr,
          gateway_ip: EXTERNAL_NETWORK.gateway,
          enable_dhcp: false,
          allocation_pools: [{ start: EXTERNAL_NETWORK.poolStart, end: EXTERNAL_NETWORK.poolEnd }],
        },
      },
    });
  }
  return netId;
}

export async function ensureFlavors(s: Session): Promise<void> {
  const existing = (
    await request<{ flavors: NovaFlavor[] }>(s, "GET", `${NOVA}/flavors/detail?is_public=None`, {
      headers: NOVA_MICROVERSION,
    })
  ).body.flavors;
  for (const f of FLAVORS) {
    if (existing.some((x) => x.name === f.name)) continue;
    await request(s, "POST", `${NOVA}/flavors`, {
      headers: NOVA_MICROVERSION,
      body: { flavor: { name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, "os-flavor-access:is_public": true } },
    });
  }
}

/**
 * The names the stacks and examples ask for (`imageName: debian-12`, `ubuntu-24.04`): under the
 * fake compute driver nothing boots, so each is the tiny image under that name, tagged
 * `minicloud-placeholder` so nobody mistakes it for a real distribution image.
 */
export const PLACEHOLDER_IMAGE_NAMES = ["debian-12", "ubuntu-24.04"];

export async function ensureImage(s: Session, name = IMAGE_NAME): Promise<string> {
  // Public ones only: as admin, Glance also lists the projects' private images of that name.
  const images = (
    await request<{ images: GlanceImage[] }>(
      s,
      "GET",
      `${GLANCE}/images?name=${encodeURIComponent(name)}&visibility=public`,
    )
  ).body.images;
  const active = images.find((i) => i.status === "active");
  if (active) return active.id;
  for (const broken of images) await request(s, "DELETE", `${GLANCE}/images/${broken.id}`, { expect: [204, 404] });
  const img = (
    await request<GlanceImage>(s, "POST", `${GLANCE}/images`, {
      body: {
        name,
        disk_format: "raw",
        container_format: "bare",
        visibility: "public",
        min_disk: 1,
        min_ram: 64,
        ...(name === IMAGE_NAME ? {} : { tags: ["minicloud-placeholder"] }),
      },
      expect: [201],
    })
  ).body;
  const res = await fetch(`${GLANCE}/images/${img.id}/file`, {
    method: "PUT",
    headers: { "X-Auth-Token": s.token, "Content-Type": "application/octet-stream" },
    body: tinyImageBytes(),
  });
  if (res.status !== 204) throw new Error(`upload of ${name} failed: HTTP ${res.status} ${await res.text()}`);
  return img.id as string;
}

export const TEST_QUOTAS = {
  compute: { instances: 20, cores: 40, ram: 81920, key_pairs: 50 },
  network: {
    network: 20,
    subnet: 20,
    port: 100,
    router: 10,
    floatingip: 20,
    security_group: 30,
    security_group_rule: 300,
  },
  // Room for a home volume per desktop of a small office pool and the tests' own volumes.
  volume: { volumes: 50, gigabytes: 500, snapshots: 20 },
};

export async function ensureQuotas(s: Session, projectId: string): Promise<void> {
  await request(s, "PUT", `${NOVA}/os-quota-sets/${projectId}`, {
    headers: NOVA_MICROVERSION,
    body: { quota_set: TEST_QUOTAS.compute },
  });
  await request(s, "PUT", `${NEUTRON}/quotas/${projectId}`, { body: { quota: TEST_QUOTAS.network } });
}

/** Cinder's quotas for a test project (its own step in `up`: installs from before Cinder lack them). */
export async function ensureVolumeQuotas(s: Session, projectId: string): Promise<void> {
  await request(s, "PUT", `${CINDER}/${s.projectId}/os-quota-sets/${projectId}`, {
    body: { quota_set: TEST_QUOTAS.volume },
  });
}
