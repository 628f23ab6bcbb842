import * as pulumi from "@pulumi/pulumi";
import { planDesktopBake } from "./bake-plan";
import { BakedImage } from "./baked-image";
import type { XrdpDesktopImageArgs } from "./xrdp-desktop-image-args";
import { bakePlanOptions, planXrdpDesktopImage } from "./xrdp-desktop-image-plan";

// Where these lived before the args/plan/resources split; programs and tests import them from here.
export type { XrdpDesktopImageArgs } from "./xrdp-desktop-image-args";
export {
  bakedImageProvider,
  createBakedImage,
  deleteBakedImageResource,
  diffBakeInputs,
  REBAKE_INPUTS,
} from "./baked-image";
export type { BakeInputs } from "./baked-image";

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
    // Every field is checked (all problems at once) before any resource is declared.
    const plan = planXrdpDesktopImage(name, args);
    const { bakeInputs } = plan;
    const bake = pulumi
      .output(args.baseImageId)
      .apply((baseImage) => planDesktopBake(bakePlanOptions({ ...bakeInputs, stack: plan.stack }, baseImage)));
    const baked = new BakedImage(
      plan.bakeResourceName,
      {
        cloud: bakeInputs.cloud,
        ...(args.credentials !== undefined ? { credentials: pulumi.secret(args.credentials) } : {}),
        baseImageId: args.baseImageId,
        flavorId: args.flavorId,
        networkId: args.networkId,
        availabilityZone: bakeInputs.availabilityZone,
        osDistro: bakeInputs.osDistro,
        osVersion: bakeInputs.osVersion,
        namePrefix: bakeInputs.namePrefix,
        extraPackages: bakeInputs.extraPackages,
        installRecommends: bakeInputs.installRecommends,
        rdpGroup: bakeInputs.rdpGroup,
        consoleTimeoutSeconds: bakeInputs.consoleTimeoutSeconds,
        retainOnDelete: bakeInputs.retainOnDelete,
        packageHash: bake.packageHash,
      },
      { parent: this, retainOnDelete: bakeInputs.retainOnDelete, additionalSecretOutputs: ["credentials"] },
    );
    this.imageId = baked.id;
    this.imageName = baked.imageName;
    this.packageHash = baked.packageHash;
    this.bakeUserData = bake.userData;
    this.registerOutputs({
      imageId: this.imageId,
      imageName: this.imageName,
      packageHash: this.packageHash,
      bakeUserData: this.bakeUserData,
    });
  }
}
