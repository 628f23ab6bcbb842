// Nova: flavors, key pairs and servers (which need Glance's images and Neutron's networks,
// ports and security groups), and the desktop image bake, which builds through Nova.
import { createHash } from "node:crypto";
import type { ExistingCloud, ExistingFlavor } from "./cloud";
import { arr, IdSource, Inputs, nova, str } from "./common";
import type { Glance } from "./glance";
import type { Neutron } from "./neutron";

export class Nova {
  readonly flavors = new Map<string, ExistingFlavor>();
  readonly keypairs = new Set<string>();

  constructor(
    existing: ExistingCloud,
    private readonly ids: IdSource,
    private readonly neutron: Neutron,
    private readonly glance: Glance,
  ) {
    for (const f of existing.flavors) this.flavors.set(f.id, f);
    for (const k of existing.keypairs) this.keypairs.add(k);
  }

  findFlavor(args: { name?: string; flavorId?: string }): ExistingFlavor {
    const f = [...this.flavors.values()].find((x) => x.name === args.name || x.id === args.flavorId);
    if (!f) throw nova(404, `Flavor ${args.name ?? args.flavorId} could not be found: your query returned no results.`);
    return f;
  }

  createInstance(name: string, inputs: Inputs) {
    const flavorName = str(inputs.flavorName);
    const flavorId = str(inputs.flavorId);
    // The provider resolves names and checks for a flavor and an image before it asks Nova.
    if (!flavorName && !flavorId) throw new Error("Neither a flavor_id or flavor_name could be determined");
    const flavor = [...this.flavors.values()].find((x) => (flavorName ? x.name === flavorName : x.id === flavorId));
    if (!flavor)
      throw new Error(
        flavorName ? `Unable to find flavor with name ${flavorName}` : `Flavor ${flavorId} could not be found.`,
      );
    const imageName = str(inputs.imageName);
    const imageId = str(inputs.imageId);
    const bootsFromVolume = arr(inputs.blockDevices).some((b) => b.bootIndex === 0);
    if (!bootsFromVolume) {
      if (imageName && ![...this.glance.images.values()].some((x) => x.name === imageName))
        throw new Error(`Unable to find image with name ${imageName}`);
      else if (!imageName && imageId && !this.glance.images.has(imageId))
        throw nova(400, `Can not find requested image (${imageId}).`);
      else if (!imageName && !imageId)
        throw new Error("Neither a boot device, image ID, or image name were able to be determined");
    }
    const keyPair = str(inputs.keyPair);
    if (keyPair && !this.keypairs.has(keyPair))
      throw nova(400, `Invalid key_name provided: keypair ${keyPair} not found.`);
    const userData = str(inputs.userData);
    if (userData && Buffer.byteLength(Buffer.from(userData, "utf8").toString("base64")) > 65535) {
      throw nova(
        400,
        "Invalid input for field/attribute user_data. Value: user data is longer than 65535 bytes when base64 encoded.",
      );
    }
    const powerState = str(inputs.powerState);
    if (powerState && !["active", "shutoff", "paused", "shelved_offloaded"].includes(powerState)) {
      throw new Error(
        `expected power_state to be one of ["active" "shutoff" "shelved_offloaded" "paused"], got ${powerState}`,
      ); // the provider's check
    }
    for (const group of (Array.isArray(inputs.securityGroups) ? inputs.securityGroups : []) as string[]) {
      if (![...this.neutron.secGroups.values()].some((g) => g.name === group || g.id === group)) {
        throw nova(400, `Unable to find security_group with name or id '${group}'`);
      }
    }
    const nets = arr(inputs.networks);
    const addresses: string[] = [];
    for (const n of nets) {
      const portId = str(n.port);
      if (portId) {
        const port = this.neutron.ports.get(portId);
        if (!port)
          throw new Error(
            `Error trying to get network information from the Network API: Could not find any matching port for port ${portId}`,
          );
        addresses.push(...port.fixedIps.map((f) => f.ipAddress));
      } else {
        const uuid =
          str(n.uuid) ??
          (str(n.name) ? [...this.neutron.networks.values()].find((x) => x.name === n.name)?.id : undefined);
        if (!uuid || !this.neutron.networks.has(uuid))
          throw new Error(
            `Error trying to get network information from the Network API: Could not find any matching network for ${n.uuid ? "id" : "name"} ${n.uuid ?? n.name}`,
          );
        const subnet = [...this.neutron.subnets.values()].find((s) => s.networkId === uuid);
        if (subnet) addresses.push(this.neutron.allocate(subnet, str(n.fixedIpV4)));
      }
    }
    const id = this.ids.next("server", name);
    return {
      id,
      state: {
        ...inputs,
        accessIpV4: addresses[0] ?? "",
        powerState: powerState ?? "active",
        flavorId: flavor.id,
        flavorName: flavor.name,
        networks: nets.map((n, i) => ({ ...n, fixedIpV4: addresses[i] ?? "" })),
      },
    };
  }

  createKeypair(name: string, inputs: Inputs) {
    const keyName = str(inputs.name) ?? name;
    if (this.keypairs.has(keyName)) throw nova(409, `Key pair '${keyName}' already exists.`);
    this.keypairs.add(keyName);
    return {
      id: keyName,
      state: { ...inputs, name: keyName, fingerprint: fingerprintOf(String(inputs.publicKey ?? keyName)) },
    };
  }

  createFlavor(name: string, inputs: Inputs) {
    const id = this.ids.next("flavor", name);
    this.flavors.set(id, {
      id,
      name: str(inputs.name) ?? name,
      vcpus: Number(inputs.vcpus),
      ram: Number(inputs.ram),
      disk: Number(inputs.disk ?? 0),
      ...(inputs.extraSpecs ? { extraSpecs: { ...(inputs.extraSpecs as Record<string, string>) } } : {}),
    });
    return { id, state: { ...inputs } };
  }

  /**
   * What the baker does through the APIs, as far as the model goes: the builder needs the base
   * image, flavor and network to exist (Nova's checks); the result is an image named
   * <prefix>-<hash[0..12]>. The builder itself is deleted by the bake, so it is not kept.
   */
  createBakedImage(name: string, inputs: Inputs) {
    const baseImageId = str(inputs.baseImageId);
    if (!baseImageId || !this.glance.images.has(baseImageId))
      throw nova(400, `Image ${baseImageId} could not be found.`);
    this.findFlavor({ flavorId: str(inputs.flavorId) });
    const networkId = str(inputs.networkId);
    if (!networkId || !this.neutron.networks.has(networkId))
      throw nova(400, `Network ${networkId} could not be found.`);
    const hash = str(inputs.packageHash) ?? "";
    const imageName = `${str(inputs.namePrefix) ?? name}-${hash.slice(0, 12)}`;
    const id = this.ids.next("image", name);
    this.glance.images.set(id, { id, name: imageName });
    return { id, state: { ...inputs, imageName, builderId: "", consoleWait: 0 } };
  }
}

function fingerprintOf(text: string): string {
  return createHash("md5").update(text).digest("hex").match(/../g)!.join(":");
}
