/**
 * The dynamic resource XrdpDesktopImage declares (type desktop-image:BakedImage) and its
 * provider: create = plan + bake (image-baker.ts), replace exactly when the package hash changes,
 * delete = remove the image unless retained. Kept apart from the component, which only declares
 * resources; the provider's functions are serialised by Pulumi into its provider process.
 */
import * as pulumi from "@pulumi/pulumi";
import type { S2DCloudArgs } from "../s2d/s2d-migration-args";
import type { BakeRequest, BakeResult } from "./image-baker";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";

/** Inputs of the dynamic resource (plain values once resolved). */
export interface BakeInputs {
  cloud: string;
  /** Inline credentials (secret); when set they win over `cloud`. */
  credentials?: S2DCloudArgs;
  baseImageId: string;
  flavorId: string;
  networkId: string;
  /** The builder's availability zone; "" for Nova's default. Never re-bakes (where, not what). */
  availabilityZone?: string;
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
      availabilityZone: inputs.availabilityZone || undefined,
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
export class BakedImage extends pulumi.dynamic.Resource {
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
