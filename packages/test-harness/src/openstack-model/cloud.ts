// The cloud a program starts from: what exists before it runs (networks, flavors, images).

export interface ExistingNetwork {
  id: string;
  name: string;
  external?: boolean;
  subnets?: { id: string; name?: string; cidr: string; gatewayIp?: string; pool?: { start: string; end: string } }[];
}
export interface ExistingFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  /** Nova's flavor extra specs, e.g. { "pci_passthrough:alias": "gpu:1" } of a GPU flavor. */
  extraSpecs?: Record<string, string>;
}
export interface ExistingImage {
  id: string;
  name: string;
}
export interface ExistingCloud {
  networks: ExistingNetwork[];
  flavors: ExistingFlavor[];
  images: ExistingImage[];
  keypairs: string[];
  secGroups: { id: string; name: string }[];
}

/** What an existing cloud offers before the program runs: a public network, images, flavors. */
export function defaultExistingCloud(): ExistingCloud {
  return {
    networks: [
      {
        id: "net-public",
        name: "public",
        external: true,
        subnets: [
          {
            id: "subnet-public",
            name: "public-subnet",
            cidr: "172.24.4.0/24",
            gatewayIp: "172.24.4.1",
            pool: { start: "172.24.4.10", end: "172.24.4.250" },
          },
        ],
      },
    ],
    flavors: [
      { id: "flavor-tiny", name: "m1.tiny", vcpus: 1, ram: 512, disk: 1 },
      { id: "flavor-small", name: "m1.small", vcpus: 1, ram: 2048, disk: 20 },
      { id: "flavor-medium", name: "m1.medium", vcpus: 2, ram: 4096, disk: 40 },
      { id: "flavor-desktop", name: "m1.desktop", vcpus: 4, ram: 4096, disk: 40 },
      { id: "flavor-large", name: "m1.large", vcpus: 4, ram: 8192, disk: 80 },
    ],
    images: [
      { id: "image-debian-12", name: "debian-12" },
      { id: "image-ubuntu-2404", name: "ubuntu-24.04" },
    ],
    keypairs: [],
    secGroups: [{ id: "secgroup-default", name: "default" }],
  };
}

/**
 * What a fresh DevStack offers before a stack builds on it: the `public` network and DevStack's
 * defaults (CirrOS and the m1.* flavors) — no Ubuntu image, no desktop flavor. Stacks that build
 * their cloud with DevstackHost run against this, so they must create what they use.
 */
export function freshDevstackCloud(): ExistingCloud {
  const cloud = defaultExistingCloud();
  return {
    ...cloud,
    flavors: [
      ...cloud.flavors.filter((f) => f.name !== "m1.desktop"),
      { id: "flavor-xlarge", name: "m1.xlarge", vcpus: 8, ram: 16384, disk: 160 },
    ],
    images: [{ id: "image-cirros", name: "cirros-0.6.2-x86_64-disk" }],
  };
}
