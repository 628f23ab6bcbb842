import * as pulumi from "@pulumi/pulumi";
import type { S2DCloudArgs } from "../s2d/s2d-migration-args";
import { planDesktopBake } from "./bake-plan";
import type { BakeRequest, BakeResult } from "./image-baker";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";

export interface XrdpDesktopImageArgs {
  /** clouds.yaml entry the baker talks to (or OS_CLOUD / OS_* of the machine running Pulumi when omitted). */
  cloud?: string;
  /**
   * Inline credentials instead of `cloud` — e.g. the admin of a DevstackHost built in the same
   * program. The same shape S2DMigration takes; the whole object becomes a Pulumi secret.
   */
  credentials?: pulumi.Input<S2DCloudArgs>;
  /** ID of the base image (a Debian/Ubuntu cloud image with cloud-init). */
  baseImageId: pulumi.Input<string>;
  /** Flavor ID of the builder server. */
  flavorId: pulumi.Input<string>;
  /** Network of the builder: it needs egress to a package mirror. */
  networkId: pulumi.Input<string>;
  /** Glance os_distro of the result, e.g. "debian". */
  osDistro: string;
  osVersion?: string;
  /** Image name prefix; default the component's name. The name ends with the package hash. */
  namePrefix?: string;
  /** Same meaning as ThinClientDesktopPool's fields; they decide the package hash. */
  extraPackages?: string[];
  installRecommends?: boolean;
  rdpGroup?: string;
  /** Seconds to wait for the builder's console marker; default 3600. */
  consoleTimeoutSeconds?: number;
  /** Keep the image in Glance when the resource is replaced or destroyed (default false). */
  retainOnDelete?: boolean;
}

/** Inputs of the dynamic resource (plain values once resolved). */
export interface BakeInputs {
  cloud: string;
  /** Inline credentials (secret); when set they win over `cloud`. */
  credentials?: S2DCloudArgs;
  baseImageId: string;
  flavorId: string;
  networkId: string;
  osDistro: string;
  osVersion: string;
  namePrefix: string;
  extraPackages: string[];
  installRecommends: boolean;
  rdpGroup: string;
  consoleTimeoutSeconds: number;
  retainOnDelete: boolean;
  /** Computed by the component; a change replaces (= re-bakes) the image. */
  packageHash: string;
}

/** Inputs whose change re-bakes: the hash covers the content; the base image is in the hash too. */
export const REBAKE_INPUTS = ["packageHash", "baseImageId", "cloud"] as const;

/** The dynamic provider's diff: replace exactly when the package hash (or the cloud) changes. */
export function diffBakeInputs(olds: Partial<BakeInputs>, news: Partial<BakeInputs>): pulumi.dynamic.DiffResult {
  const replaces = REBAKE_INPUTS.filter((k) => olds[k] !== news[k]);
  const changed = (Object.keys(news) as (keyof BakeInputs)[]).filter(
    (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
  );
  return { changes: changed.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

/**
 * The provider's functions are serialised by Pulumi and run in another process, where relative
 * paths mean nothing: they require this directory's modules by package path.
 */
const MODULE_DIR = `${COMPONENTS_MODULE_ROOT}/desktop-image`;

function clientFor(inputs: Pick<BakeInputs, "cloud" | "credentials">) {
  // Required at run time so the dynamic provider's closure holds no client object.
  if (inputs.credentials && Object.keys(inputs.credentials).length > 0) {
    const s2d = requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>("@openstack-blueprints/s2d");
    return s2d.clientOf(s2d.CloudRefSchema.parse(inputs.credentials), "bake");
  }
  const rest = requireInProviderProcess<typeof import("@openstack-blueprints/openstack-rest")>(
    "@openstack-blueprints/openstack-rest",
  );
  return rest.OpenStackClient.fromCloud(inputs.cloud === "" ? undefined : inputs.cloud);
}

/** Create: plan + bake; the outputs are the image and its hash. */
export async function createBakedImage(
  inputs: BakeInputs,
  opts: Pick<BakeRequest, "skipConsoleWait" | "consolePollSeconds" | "onSnapshotRequested" | "log"> = {},
): Promise<{ id: string; outs: BakeInputs & BakeResult }> {
  const baker = requireInProviderProcess<typeof import("./image-baker")>(`${MODULE_DIR}/image-baker`);
  const { planDesktopBake: plan_ } = requireInProviderProcess<typeof import("./bake-plan")>(`${MODULE_DIR}/bake-plan`);
  const plan = plan_({
    baseImage: inputs.baseImageId,
    osDistro: inputs.osDistro,
    osVersion: inputs.osVersion || undefined,
    namePrefix: inputs.namePrefix,
    stack: {
      extraPackages: inputs.extraPackages,
      installRecommends: inputs.installRecommends,
      rdpGroup: inputs.rdpGroup,
    },
  });
  if (plan.packageHash !== inputs.packageHash)
    throw new Error(`package hash mismatch: planned ${plan.packageHash}, declared ${inputs.packageHash}`);
  const client = clientFor(inputs);
  try {
    const result = await baker.bakeDesktopImage(client, {
      plan,
      baseImageId: inputs.baseImageId,
      flavorId: inputs.flavorId,
      networkId: inputs.networkId,
      consoleTimeoutSeconds: inputs.consoleTimeoutSeconds,
      ...opts,
    });
    return { id: result.imageId, outs: { ...inputs, ...result } };
  } finally {
    client.close();
  }
}

/** Delete: removes the image unless retained. */
export async function deleteBakedImageResource(
  id: string,
  outs: Pick<BakeInputs, "cloud" | "credentials" | "retainOnDelete">,
): Promise<void> {
  const baker = requireInProviderProcess<typeof import("./image-baker")>(`${MODULE_DIR}/image-baker`);
  const client = clientFor(outs);
  try {
    await baker.deleteBakedImage(client, id, outs.retainOnDelete);
  } finally {
    client.close();
  }
}

/**
 * The dynamic provider. Pulumi serialises these functions into its provider process; the
 * modules they require are loaded there by package path (provider-process.ts).
 */
export const bakedImageProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: BakeInputs) {
    return createBakedImage(inputs);
  },
  async diff(_id: string, olds: BakeInputs, news: BakeInputs) {
    return diffBakeInputs(olds, news);
  },
  async update(_id: string, _olds: BakeInputs, news: BakeInputs) {
    // Only non-content fields (retention, timeouts, names of the same content) reach here.
    return { outs: news };
  },
  async delete(id: string, outs: BakeInputs) {
    await deleteBakedImageResource(id, outs);
  },
};

// `declare`, not `!`: a plain ES2022 field would reset the outputs super() set to undefined.
class BakedImage extends pulumi.dynamic.Resource {
  declare public readonly imageName: pulumi.Output<string>;
  declare public readonly packageHash: pulumi.Output<string>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    // Typed as desktop-image:BakedImage (not the generic dynamic:Resource) so previews,
    // policies and diagrams can tell a bake from other dynamic resources.
    super(
      bakedImageProvider,
      name,
      { ...props, imageName: undefined, builderId: undefined, consoleWait: undefined },
      opts,
      "desktop-image",
      "BakedImage",
    );
  }
}

/**
 * An xrdp + xfce desktop image baked once from a base image, so desktops boot ready: the desktop stack part of
 * the desktop user data runs on a builder server, the builder is snapshotted into an image named
 * and tagged by the package-set hash, and the builder is deleted. Changing the package set or the
 * base image re-bakes (replacement: the new image is made before the old one is deleted, unless
 * retainOnDelete keeps old images). Give `imageId` to ThinClientDesktopPool with
 * `bakedDesktopImage: true` to send only the per-employee user data. See docs/desktop-image.md.
 */
export class XrdpDesktopImage extends pulumi.ComponentResource {
  public readonly imageId: pulumi.Output<string>;
  public readonly imageName: pulumi.Output<string>;
  public readonly packageHash: pulumi.Output<string>;
  /** The bake user data (no secrets), for review. */
  public readonly bakeUserData: pulumi.Output<string>;

  constructor(name: string, args: XrdpDesktopImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openstack-blueprints:index:XrdpDesktopImage", name, {}, opts);
    const where = `XrdpDesktopImage ${name}`;
    const timeout = args.consoleTimeoutSeconds ?? 3600;
    if (!Number.isInteger(timeout) || timeout < 60)
      throw new Error(`${where}: consoleTimeoutSeconds ${timeout} must be a whole number of seconds, 60 or more`);
    const credentials = args.credentials;
    if (
      credentials &&
      !pulumi.Output.isInstance(credentials) &&
      typeof (credentials as Promise<unknown>).then !== "function" &&
      !Object.values(credentials).some((v) => pulumi.Output.isInstance(v))
    ) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when plain credentials are given, to check them
      const { CloudRefSchema } = require("@openstack-blueprints/s2d") as typeof import("@openstack-blueprints/s2d");
      const checked = CloudRefSchema.safeParse(credentials);
      if (!checked.success)
        throw new Error(
          `${where}: credentials: ${checked.error.issues.map((i) => `${i.path.join(".") || "credentials"}: ${i.message}`).join("; ")}`,
        );
    }
    const stack = {
      extraPackages: args.extraPackages,
      installRecommends: args.installRecommends,
      rdpGroup: args.rdpGroup,
    };
    const namePrefix = args.namePrefix ?? name;
    // Validate everything (names, distro, packages) before any resource, with a placeholder base.
    try {
      planDesktopBake({
        baseImage: "validation",
        osDistro: args.osDistro,
        osVersion: args.osVersion,
        namePrefix,
        stack,
      });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
    const plan = pulumi
      .output(args.baseImageId)
      .apply((baseImage) =>
        planDesktopBake({ baseImage, osDistro: args.osDistro, osVersion: args.osVersion, namePrefix, stack }),
      );
    const baked = new BakedImage(
      `${name}-bake`,
      {
        cloud: args.cloud ?? "",
        ...(args.credentials !== undefined ? { credentials: pulumi.secret(args.credentials) } : {}),
        baseImageId: args.baseImageId,
        flavorId: args.flavorId,
        networkId: args.networkId,
        osDistro: args.osDistro,
        osVersion: args.osVersion ?? "",
        namePrefix,
        extraPackages: [...new Set(args.extraPackages ?? [])].sort(),
        installRecommends: args.installRecommends ?? true,
        rdpGroup: args.rdpGroup ?? "tsusers",
        consoleTimeoutSeconds: timeout,
        retainOnDelete: args.retainOnDelete ?? false,
        packageHash: plan.packageHash,
      },
      { parent: this, retainOnDelete: args.retainOnDelete ?? false, additionalSecretOutputs: ["credentials"] },
    );
    this.imageId = baked.id;
    this.imageName = baked.imageName;
    this.packageHash = baked.packageHash;
    this.bakeUserData = plan.userData;
    this.registerOutputs({
      imageId: this.imageId,
      imageName: this.imageName,
      packageHash: this.packageHash,
      bakeUserData: this.bakeUserData,
    });
  }
}
