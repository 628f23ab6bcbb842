/**
 * In-memory stand-ins for two clouds, enough for the engine's calls: the engine's ordering
 * (what is read, what is created, when bytes move) can then be tested without minicloud.
 * Every mutating call is recorded in `calls`, so a test can assert that nothing was created.
 */
import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type {
  AddressGroup,
  Flavor,
  FloatingIp,
  Image,
  Network,
  OpenStackClient,
  Port,
  SecurityGroup,
  SecurityGroupRule,
  Server,
  Subnet,
  Volume,
} from "@openstack-blueprints/openstack-rest";
import { OpenStackError } from "@openstack-blueprints/openstack-rest";

const notFound = (what: string) =>
  new OpenStackError({ method: "GET", url: what, status: 404, serviceMessage: `${what} not found` });

export interface FakeCloud {
  client: OpenStackClient;
  calls: string[];
  servers: Server[];
  images: (Image & { data?: Buffer })[];
  flavors: Flavor[];
  keypairs: { name: string; public_key: string; fingerprint: string }[];
  networks: Network[];
  ports: Port[];
  groups: SecurityGroup[];
  rules: SecurityGroupRule[];
  addressGroups: AddressGroup[] | null;
  floatingIps: FloatingIp[];
  limits: Record<string, number>;
  /** The algorithm this Glance hashes with (its `hashing_algorithm`). */
  hashAlgo: string;
  microversion: { max: string; sent?: string };
  /** Timeouts the engine waited with ("server 600000", "image 300000"). */
  waits: string[];
  /** Nova's availability zones. */
  zones: { zoneName: string; zoneState: { available: boolean } }[];
  /** Cinder (reads only: the destination check): volumes, types and the quota set with usage. */
  volumes: Volume[];
  subnets: Subnet[];
  volumeTypes: string[];
  volumeQuota: Record<string, { limit: number; in_use: number; reserved?: number }>;
}

export function fakeCloud(projectId: string, hashAlgo = "sha512"): FakeCloud {
  const c: FakeCloud = {
    client: undefined as unknown as OpenStackClient,
    calls: [],
    servers: [],
    images: [],
    flavors: [],
    keypairs: [],
    networks: [],
    ports: [],
    groups: [
      { id: `${projectId}-default`, name: "default", description: "", project_id: projectId, security_group_rules: [] },
    ],
    rules: [],
    addressGroups: [],
    floatingIps: [],
    limits: {
      maxTotalInstances: -1,
      totalInstancesUsed: 0,
      maxTotalCores: -1,
      totalCoresUsed: 0,
      maxTotalRAMSize: -1,
      totalRAMUsed: 0,
    },
    hashAlgo,
    microversion: { max: "2.95" },
    waits: [],
    zones: [{ zoneName: "nova", zoneState: { available: true } }],
    volumes: [],
    subnets: [],
    volumeTypes: ["__DEFAULT__"],
    volumeQuota: { volumes: { limit: -1, in_use: 0 }, gigabytes: { limit: -1, in_use: 0 } },
  };
  const rec = (s: string) => c.calls.push(s);
  const image = (id: string) => {
    const i = c.images.find((x) => x.id === id);
    if (!i) throw notFound(`image ${id}`);
    return i;
  };
  const session = { projectId, ensureToken: async () => "token", authenticate: async () => undefined };
  const nova = {
    negotiateMicroversion: async (wanted: string) => {
      c.microversion.sent =
        Number(wanted.split(".")[1]) <= Number(c.microversion.max.split(".")[1]) ? wanted : c.microversion.max;
      return c.microversion.sent;
    },
    findServer: async (id: string) => c.servers.find((s) => s.id === id),
    getServer: async (id: string) => {
      const s = c.servers.find((x) => x.id === id);
      if (!s) throw notFound(`server ${id}`);
      return s;
    },
    listServers: async (q: { name?: string } = {}) =>
      c.servers.filter((s) => !q.name || new RegExp(q.name).test(s.name)),
    stop: async (id: string) => rec(`stop ${id}`),
    start: async (id: string) => rec(`start ${id}`),
    waitForServer: async (id: string, _statuses: string[], o: { timeoutMs?: number } = {}) => {
      c.waits.push(`server ${o.timeoutMs}`);
      return c.servers.find((s) => s.id === id);
    },
    waitForServerDeleted: async () => undefined,
    createImage: async (serverId: string, name: string) => {
      rec(`createImage ${serverId}`);
      const src = c.images.find((i) => i.name === "fixture-disk")!;
      const id = randomUUID();
      c.images.push({ ...src, id, name });
      return id;
    },
    listFlavors: async () => c.flavors,
    findKeypair: async (name: string) => c.keypairs.find((k) => k.name === name),
    importKeypair: async (name: string, public_key: string) => {
      rec(`importKeypair ${name}`);
      const k = { name, public_key, fingerprint: "f" };
      c.keypairs.push(k);
      return k;
    },
    deleteKeypair: async (name: string) => {
      rec(`deleteKeypair ${name}`);
      c.keypairs = c.keypairs.filter((k) => k.name !== name);
    },
    createServer: async (req: {
      name: string;
      flavorRef: string;
      imageRef?: string;
      networks: { uuid: string }[];
      metadata?: Record<string, string>;
      security_groups?: { name: string }[];
      key_name?: string;
      availability_zone?: string;
    }) => {
      rec(`createServer ${req.name}${req.availability_zone ? ` in ${req.availability_zone}` : ""}`);
      const id = randomUUID();
      const net = c.networks.find((n) => n.id === req.networks[0].uuid)!;
      c.servers.push({
        id,
        name: req.name,
        status: "ACTIVE",
        tenant_id: projectId,
        image: { id: req.imageRef! },
        flavor: { id: req.flavorRef },
        addresses: { [net.name]: [{ addr: "10.0.0.5", version: 4 }] },
        metadata: req.metadata,
        key_name: req.key_name ?? null,
      });
      c.ports.push({
        id: `port-${id}`,
        name: "",
        network_id: net.id,
        device_id: id,
        device_owner: "compute:nova",
        mac_address: "",
        status: "ACTIVE",
        fixed_ips: [{ subnet_id: "s", ip_address: "10.0.0.5" }],
        security_groups: (req.security_groups ?? []).map(
          (g) => c.groups.find((x) => x.id === g.name || x.name === g.name)?.id ?? g.name,
        ),
        project_id: projectId,
      });
      return { id };
    },
    deleteServer: async (id: string) => {
      rec(`deleteServer ${id}`);
      c.servers = c.servers.filter((s) => s.id !== id);
      c.ports = c.ports.filter((p) => p.device_id !== id);
    },
    absoluteLimits: async () => c.limits,
    listAvailabilityZones: async () => c.zones,
  };
  const glance = {
    getImage: async (id: string) => {
      const { data: _bytes, ...rest } = image(id);
      return rest as Image;
    },
    findImage: async (id: string) => c.images.find((i) => i.id === id),
    listImages: async (q: { os_hash_value?: string; status?: string; name?: string } = {}) =>
      c.images
        .filter(
          (i) =>
            (!q.os_hash_value || i.os_hash_value === q.os_hash_value) &&
            (!q.status || i.status === q.status) &&
            (!q.name || i.name === q.name),
        )
        .map(({ data: _bytes, ...rest }) => rest as Image),
    waitForImage: async (id: string, _statuses: string[], o: { timeoutMs?: number } = {}) => {
      c.waits.push(`image ${o.timeoutMs}`);
      return image(id);
    },
    createImage: async (req: Record<string, unknown>) => {
      rec(`createImage ${req.id}`);
      const i = {
        ...req,
        id: String(req.id ?? randomUUID()),
        name: String(req.name),
        status: "queued",
        disk_format: req.disk_format ?? null,
        container_format: req.container_format ?? null,
        size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        min_disk: 0,
        min_ram: 0,
        visibility: "private",
        protected: false,
        owner: projectId,
        tags: [],
      } as Image;
      c.images.push(i);
      return i;
    },
    deleteImage: async (id: string) => {
      rec(`deleteImage ${id}`);
      c.images = c.images.filter((i) => i.id !== id);
    },
    download: async (id: string) => {
      const i = image(id);
      return { stream: Readable.from([i.data!.subarray(0, 7), i.data!.subarray(7)]), size: i.data!.length };
    },
    upload: async (id: string, body: Readable) => {
      rec(`upload ${id}`);
      const chunks: Buffer[] = [];
      for await (const ch of body) chunks.push(Buffer.from(ch as Buffer));
      const data = Buffer.concat(chunks);
      const i = image(id);
      Object.assign(i, hashedImage(data, c.hashAlgo), { status: "active" });
    },
    usage: async () => undefined,
  };
  const neutron = {
    listPorts: async (q: { device_id?: string }) => c.ports.filter((p) => !q.device_id || p.device_id === q.device_id),
    getNetwork: async (id: string) => c.networks.find((n) => n.id === id),
    listSubnets: async () => c.subnets,
    getSecurityGroup: async (id: string) => {
      const g = c.groups.find((x) => x.id === id);
      return g && { ...g, security_group_rules: c.rules.filter((r) => r.security_group_id === id) };
    },
    listSecurityGroups: async (q: { name?: string }) => c.groups.filter((g) => !q.name || g.name === q.name),
    createSecurityGroup: async (b: { name: string; description?: string }) => {
      rec(`createSecurityGroup ${b.name}`);
      const g = {
        id: randomUUID(),
        name: b.name,
        description: b.description ?? "",
        project_id: projectId,
        security_group_rules: [],
      };
      c.groups.push(g);
      return g;
    },
    deleteSecurityGroup: async (id: string) => {
      rec(`deleteSecurityGroup ${id}`);
      c.groups = c.groups.filter((g) => g.id !== id);
    },
    listSecurityGroupRules: async (q: { security_group_id?: string; id?: string; remote_address_group_id?: string }) =>
      c.rules.filter(
        (r) =>
          (!q.security_group_id || r.security_group_id === q.security_group_id) &&
          (!q.id || r.id === q.id) &&
          (!q.remote_address_group_id || r.remote_address_group_id === q.remote_address_group_id) &&
          (q.security_group_id || q.id || q.remote_address_group_id),
      ),
    createSecurityGroupRule: async (
      b: Partial<SecurityGroupRule> & { security_group_id: string; direction: string },
    ) => {
      rec(`createSecurityGroupRule ${JSON.stringify(b)}`);
      const r = {
        id: randomUUID(),
        ethertype: "IPv4",
        protocol: null,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: null,
        remote_group_id: null,
        ...b,
      } as SecurityGroupRule;
      c.rules.push(r);
      return r;
    },
    deleteSecurityGroupRule: async (id: string) => {
      rec(`deleteSecurityGroupRule ${id}`);
      c.rules = c.rules.filter((r) => r.id !== id);
    },
    getAddressGroup: async (id: string) => c.addressGroups?.find((g) => g.id === id),
    listAddressGroups: async (q: { name?: string }) => {
      if (!c.addressGroups)
        throw new OpenStackError({
          method: "GET",
          url: "/address-groups",
          status: 404,
          serviceMessage: "The resource could not be found.",
        });
      return c.addressGroups.filter((g) => !q.name || g.name === q.name);
    },
    createAddressGroup: async (b: { name: string; addresses: string[] }) => {
      rec(`createAddressGroup ${b.name}`);
      const g = { id: randomUUID(), project_id: projectId, ...b };
      c.addressGroups!.push(g);
      return g;
    },
    deleteAddressGroup: async (id: string) => {
      rec(`deleteAddressGroup ${id}`);
      if (c.addressGroups) c.addressGroups = c.addressGroups.filter((g) => g.id !== id);
    },
    listNetworks: async () => c.networks,
    listFloatingIps: async (q: { port_id?: string; floating_ip_address?: string }) =>
      c.floatingIps.filter(
        (f) =>
          (!q.port_id || f.port_id === q.port_id) &&
          (!q.floating_ip_address || f.floating_ip_address === q.floating_ip_address),
      ),
    createFloatingIp: async (b: { floating_network_id: string; port_id?: string }) => {
      rec("createFloatingIp");
      const f = {
        id: randomUUID(),
        floating_ip_address: "203.0.113.9",
        floating_network_id: b.floating_network_id,
        port_id: b.port_id ?? null,
        fixed_ip_address: "10.0.0.5",
        status: "ACTIVE",
        project_id: projectId,
      };
      c.floatingIps.push(f);
      return f;
    },
    associateFloatingIp: async (id: string) => rec(`associateFloatingIp ${id}`),
    deleteFloatingIp: async (id: string) => rec(`deleteFloatingIp ${id}`),
    quotaDetails: async () => ({ floatingip: { limit: -1, used: 0, reserved: 0 } }),
  };
  const cinder = {
    getVolume: async (id: string) => {
      const v = c.volumes.find((x) => x.id === id);
      if (!v) throw notFound(`volume ${id}`);
      return v;
    },
    listVolumeTypes: async () => c.volumeTypes.map((name) => ({ id: `type-${name}`, name })),
    quotaUsage: async () => c.volumeQuota,
  };
  Object.assign(nova, {
    listVolumeAttachments: async (id: string) =>
      c.volumes
        .filter((v) => v.attachments?.some((x) => x.server_id === id))
        .map((v) => ({ volumeId: v.id, device: v.attachments!.find((x) => x.server_id === id)!.device })),
  });
  c.client = { session, nova, glance, neutron, cinder } as unknown as OpenStackClient;
  return c;
}

/** The size and hashes a Glance using `algo` records for `data`. */
export function hashedImage(
  data: Buffer,
  algo: string,
): Pick<Image, "size" | "checksum" | "os_hash_algo" | "os_hash_value"> {
  return {
    size: data.length,
    checksum: createHash("md5").update(data).digest("hex"),
    os_hash_algo: algo,
    os_hash_value: createHash(algo).update(data).digest("hex"),
  };
}

/**
 * Cloud A with one server ("web") booted from an image, with a keypair and a security group,
 * and cloud B with a matching flavor, one private and one external network.
 */
export function twoClouds(opts: { aAlgo?: string; bAlgo?: string; data?: Buffer } = {}): {
  a: FakeCloud;
  b: FakeCloud;
  serverId: string;
  data: Buffer;
} {
  const a = fakeCloud("projA", opts.aAlgo);
  const b = fakeCloud("projB", opts.bAlgo);
  const data = opts.data ?? Buffer.from("disk bytes of web ".repeat(1000));
  const serverId = "srv-web";
  a.images.push({
    id: "fixture",
    name: "fixture-disk",
    status: "active",
    disk_format: "qcow2",
    container_format: "bare",
    min_disk: 0,
    min_ram: 0,
    visibility: "private",
    protected: false,
    owner: "projA",
    tags: [],
    ...hashedImage(data, a.hashAlgo),
    data,
  });
  a.servers.push({
    id: serverId,
    name: "web",
    status: "ACTIVE",
    tenant_id: "projA",
    key_name: "alice",
    image: { id: "base" },
    flavor: { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: "m1.tiny" },
    addresses: {},
  });
  a.keypairs.push({ name: "alice", public_key: "ssh-ed25519 AAAAC3Nza alice@a", fingerprint: "f" });
  a.groups.push({ id: "sgA-web", name: "web", description: "", project_id: "projA", security_group_rules: [] });
  a.rules.push({
    id: "r1",
    security_group_id: "sgA-web",
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "tcp",
    port_range_min: 22,
    port_range_max: 22,
    remote_ip_prefix: "10.0.0.0/8",
    remote_group_id: null,
  });
  a.ports.push({
    id: "pA",
    name: "",
    network_id: "netA",
    device_id: serverId,
    device_owner: "compute:nova",
    mac_address: "",
    status: "ACTIVE",
    fixed_ips: [{ subnet_id: "s", ip_address: "10.1.0.4" }],
    security_groups: ["sgA-web"],
    project_id: "projA",
  });
  b.flavors.push({
    id: "fl-tiny",
    name: "m1.tiny",
    vcpus: 1,
    ram: 512,
    disk: 1,
    swap: "",
    "OS-FLV-EXT-DATA:ephemeral": 0,
  });
  b.networks.push(
    { id: "netB", name: "private", status: "ACTIVE", subnets: [], project_id: "projB" },
    { id: "extB", name: "public", status: "ACTIVE", "router:external": true, subnets: [], project_id: "admin" },
  );
  return { a, b, serverId, data };
}
