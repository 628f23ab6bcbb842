// An in-memory model of the OpenStack objects a Pulumi program creates, with the checks
// Neutron and Nova make. The Pulumi mock (pulumi-mocks.ts) feeds every registered resource
// through `create`, so a program that Neutron would refuse fails here too, with a
// Neutron-like message, instead of passing a test that only records calls.
//
// One module per service (neutron.ts, nova.ts, glance.ts); this one routes a resource type to
// its service and re-exports what tests use.
import { createHash } from "node:crypto";
import { defaultExistingCloud, type ExistingCloud, type ExistingFlavor, type ExistingImage } from "./cloud";
import { type CreateContext, type Created, IdSource } from "./common";
import { Glance } from "./glance";
import { Neutron, type NetworkObj, type SubnetObj } from "./neutron";
import { Nova } from "./nova";
import { T } from "./types";

/** Standard output of commands by resource name (tests set it; default empty). */
export const commandStdout = new Map<string, string>();

export { defaultExistingCloud, freshDevstackCloud } from "./cloud";
export type { ExistingCloud, ExistingFlavor, ExistingImage, ExistingNetwork } from "./cloud";
export { OpenStackApiError } from "./common";
export type { CreateContext, Created, Inputs } from "./common";
export { T } from "./types";
export { Glance, Neutron, Nova };

export class OpenStackModel {
  readonly neutron: Neutron;
  readonly nova: Nova;
  readonly glance: Glance;
  private readonly ids = new IdSource();

  constructor(public readonly existing: ExistingCloud = defaultExistingCloud()) {
    this.neutron = new Neutron(existing, this.ids);
    this.glance = new Glance(existing, this.ids);
    this.nova = new Nova(existing, this.ids, this.neutron, this.glance);
  }

  // ---- lookups used by data-source calls -------------------------------------------------

  findNetwork(args: { name?: string; networkId?: string; external?: boolean }): NetworkObj & { subnetIds: string[] } {
    return this.neutron.findNetwork(args);
  }

  findSubnet(args: { subnetId?: string; name?: string }): SubnetObj {
    return this.neutron.findSubnet(args);
  }

  findFlavor(args: { name?: string; flavorId?: string }): ExistingFlavor {
    return this.nova.findFlavor(args);
  }

  findImage(args: { name?: string }): ExistingImage {
    return this.glance.findImage(args);
  }

  // ---- resource creation -----------------------------------------------------------------

  /** Creates the object a resource stands for and returns its ID and computed state. */
  create(ctx: CreateContext): Created {
    const { type, name, inputs } = ctx;
    const { neutron, nova, glance } = this;
    switch (type) {
      case T.network:
        return neutron.createNetwork(name, inputs);
      case T.subnet:
        return neutron.createSubnet(name, inputs);
      case T.subnetRoute:
        return neutron.createSubnetRoute(name, inputs);
      case T.router:
        return neutron.createRouter(name, inputs);
      case T.routerInterface:
        return neutron.createRouterInterface(name, inputs);
      case T.port:
        return neutron.createPort(name, inputs);
      case T.floatingIp:
        return neutron.createFloatingIp(ctx);
      case T.floatingIpAssociate:
        return neutron.createFloatingIpAssociate(ctx);
      case T.secGroup:
        return neutron.createSecGroup(name, inputs);
      case T.secGroupRule:
        return neutron.createSecGroupRule(name, inputs);
      case T.instance:
        return nova.createInstance(name, inputs);
      case T.keypair:
        return nova.createKeypair(name, inputs);
      case T.flavor:
        return nova.createFlavor(name, inputs);
      case T.image:
        return glance.createImage(name, inputs);
      case T.bakedImage:
        return nova.createBakedImage(name, inputs);
      case T.remoteCommand:
      case T.localCommand:
        // What a command prints, when a test gave it (commandStdout), e.g. a CA chain read back.
        return {
          id: this.ids.next("command", name),
          state: { ...inputs, stdout: commandStdout.get(name) ?? "", stderr: "" },
        };
      case T.s2dMigrationRun:
        return migratedServer(this.ids.next("server", name), inputs);
      case T.calculatorReadiness:
        // The model boots nothing, so nothing could answer: the state says it was modelled (the
        // real check is proved on minicloud's guests, test/engine/calculator-guests.engine.test.ts).
        return {
          id: this.ids.next("readiness", name),
          state: { ...inputs, waitedSeconds: 0, report: `modelled: the harness boots no server (${inputs.url})` },
        };
      default:
        return { id: this.ids.next(shortKind(type), name), state: { ...inputs } };
    }
  }
}

/**
 * What a finished S2D migration reports (its engine runs against real clouds, tested in
 * packages/s2d): the new server in cloud B with an address on the asked network, the floating
 * IP when one was asked for, and the image's checksums as verified during the stream.
 */
function migratedServer(id: string, inputs: Record<string, any>): Created {
  const server = (inputs.server ?? {}) as Record<string, any>;
  const fixed = "10.0.0.10";
  const floating = server.floatingIp === "none" ? "" : server.floatingIp === "new" ? "203.0.113.10" : server.floatingIp;
  const network = String(server.network ?? "private");
  const digest = (algo: string) => createHash(algo).update(`${server.source}`).digest("hex");
  return {
    id,
    state: {
      ...inputs,
      targetServerId: id,
      targetServerName: String(server.name ?? server.source),
      targetServerStatus: "ACTIVE",
      addresses: { [network]: floating ? [fixed, floating] : [fixed] },
      targetImageId: `image-of-${id}`,
      floatingIp: floating ?? "",
      checksums: { md5: digest("md5"), hashAlgo: "sha512", hashValue: digest("sha512"), hashCheck: "same-algorithm" },
      createdInTarget: [],
      journalFile: "",
    },
  };
}

function shortKind(type: string): string {
  const last = type.split(":").pop() ?? type;
  return last.toLowerCase();
}
