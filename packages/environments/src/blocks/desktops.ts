// `openstack-blueprints:desktops`: a ThinClientDesktopPool on a network of the `networks` block.
// Employees are listed, or generated as <employeePrefix>-001 … for employeeCount.
import * as openstack from "@pulumi/openstack";
import { ThinClientDesktopPool, XrdpDesktopImage, ipv4Cidr } from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock, providerOptions } from "../block";
import { resourceName } from "./networks";

const employee = z
  .object({
    name: z.string().min(1),
    fullName: z.string().optional(),
    flavor: z.string().optional(),
    powerState: z.string().optional(),
    /** Change it (any text) to give the employee a new password. */
    passwordRotation: z.string().optional(),
  })
  .strict();

/**
 * Bake the desktop stack into an image first (XrdpDesktopImage) and boot every desktop from it:
 * desktops then receive only the per-employee user data. The builder runs on the pool's network,
 * which needs egress to a package mirror (internetAccess on the network).
 */
const bakeSpec = z
  .object({
    /** Base image name (a Debian/Ubuntu cloud image with cloud-init); the newest of that name. */
    baseImage: z.string().min(1),
    /** Flavor name of the builder server. */
    builderFlavor: z.string().min(1),
    osDistro: z.string().min(1),
    osVersion: z.string().optional(),
    /** Keep replaced images in Glance (default false: a replaced image goes once nothing uses it). */
    retainOnDelete: z.boolean().optional(),
    consoleTimeoutSeconds: z.number().int().optional(),
  })
  .strict();

export const desktopsSpec = z
  .object({
    /** A network of the `networks` block. */
    network: resourceName,
    employees: z.array(employee).optional(),
    employeePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,20}$/, { message: "is not a user name prefix (lowercase letter, then letters/digits)" })
      .optional(),
    employeeCount: z.number().int().min(1).max(2000).optional(),
    flavor: z.string().min(1),
    imageName: z.string().min(1).optional(),
    thinClientCidr: ipv4Cidr,
    adminCidr: ipv4Cidr.optional(),
    adminPublicKey: z.string().optional(),
    adminUser: z.string().optional(),
    floatingIpPool: z.string().optional(),
    /**
     * The thin clients' router forwards thinClientCidr to the desktops' addresses (a route you
     * manage, e.g. on the office router to the tenant subnet via the Neutron router's external
     * address): the stack's reachability check then trusts it. Not passed to the pool.
     */
    thinClientsRouted: z.boolean().optional(),
    disconnectedTimeLimitSeconds: z.number().int().min(0).optional(),
    idleTimeLimitSeconds: z.number().int().min(0).optional(),
    clipboard: z.boolean().optional(),
    driveRedirection: z.boolean().optional(),
    extraPackages: z.array(z.string()).optional(),
    imageHasDesktopPackages: z.boolean().optional(),
    /** "desktop" (xrdp + xfce, default) or "jupyter" (a Jupyter server per employee over HTTPS). */
    workspace: z.enum(["desktop", "jupyter"]).optional(),
    jupyterServer: z.enum(["notebook", "lab"]).optional(),
    jupyterPort: z.number().int().min(1024).max(65535).optional(),
    computeHosts: z
      .array(
        z
          .object({
            name: z.string().optional(),
            vcpus: z.number(),
            ramMiB: z.number(),
            reservedRamMiB: z.number().optional(),
            reservedVcpus: z.number().optional(),
            diskGiB: z.number().optional(),
            reservedDiskGiB: z.number().optional(),
            count: z.number().optional(),
          })
          .strict(),
      )
      .optional(),
    flavorSizes: z
      .array(
        z.object({ name: z.string(), vcpus: z.number(), ramMiB: z.number(), diskGiB: z.number().optional() }).strict(),
      )
      .optional(),
    diskAllocationRatio: z.number().optional(),
    allocationRatios: z.string().optional(),
    bake: bakeSpec.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.bake && spec.imageName !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["imageName"],
        message: "cannot be given with bake (the desktops boot from the baked image; the base image is bake.baseImage)",
      });
    }
    if (spec.bake && spec.workspace === "jupyter") {
      ctx.addIssue({
        code: "custom",
        path: ["bake"],
        message: 'bakes an xrdp desktop image; it cannot be used with workspace "jupyter"',
      });
    }
    if (spec.bake && spec.imageHasDesktopPackages !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["imageHasDesktopPackages"],
        message: "cannot be given with bake (a baked image has the packages and their configuration)",
      });
    }
    const generated = spec.employeePrefix !== undefined || spec.employeeCount !== undefined;
    if (generated && (spec.employeePrefix === undefined || spec.employeeCount === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [spec.employeePrefix === undefined ? "employeePrefix" : "employeeCount"],
        message: "is required with the other (employeePrefix and employeeCount go together)",
      });
    }
    if (!generated && (spec.employees ?? []).length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["employees"],
        message: "is empty; list employees or give employeePrefix and employeeCount",
      });
    }
  });

export function employeesOf(spec: z.infer<typeof desktopsSpec>) {
  const listed = spec.employees ?? [];
  if (spec.employeePrefix === undefined || spec.employeeCount === undefined) return listed;
  const width = String(spec.employeeCount).length;
  const generated = Array.from({ length: spec.employeeCount }, (_, i) => ({
    name: `${spec.employeePrefix}${String(i + 1).padStart(width, "0")}`,
  }));
  return [...listed, ...generated];
}

export const desktopsBlock = defineBlock({
  key: "desktops",
  component: "ThinClientDesktopPool",
  description: "One desktop per employee behind RDP, with hashed passwords and power states.",
  schema: desktopsSpec,
  deploy: (spec, ctx) => {
    const net = ctx.networks.get(spec.network);
    if (!net)
      throw new Error(
        `openstack-blueprints:desktops.network: ${JSON.stringify(spec.network)} is not a network of this stack; known: ${[...ctx.networks.keys()].join(", ") || "none (add a networks block)"}`,
      );
    const {
      network,
      employees: _e,
      employeePrefix: _p,
      employeeCount: _c,
      bake,
      thinClientsRouted: _r,
      ...args
    } = spec;
    let image: XrdpDesktopImage | undefined;
    if (bake) {
      // Names → IDs: an image or flavor the stack's DevStack makes is taken from it (a lookup could
      // run before the upload finished); anything else is looked up through the stack's provider.
      const invokeOpts = ctx.provider ? { provider: ctx.provider } : {};
      const baseImageId =
        ctx.cloud?.imageIds.get(bake.baseImage) ??
        openstack.images.getImageOutput({ name: bake.baseImage, mostRecent: true }, invokeOpts).id;
      const flavorId =
        ctx.cloud?.flavorIds.get(bake.builderFlavor) ??
        openstack.compute.getFlavorOutput({ name: bake.builderFlavor }, invokeOpts).id;
      image = new XrdpDesktopImage(
        `${ctx.environment}-desktop-image`,
        {
          ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
          baseImageId,
          flavorId,
          networkId: net.networkId,
          osDistro: bake.osDistro,
          osVersion: bake.osVersion,
          extraPackages: args.extraPackages,
          retainOnDelete: bake.retainOnDelete,
          consoleTimeoutSeconds: bake.consoleTimeoutSeconds,
        },
        providerOptions(ctx, net),
      );
      ctx.outputs["desktops.imageId"] = image.imageId;
      ctx.outputs["desktops.imageName"] = image.imageName;
      ctx.outputs["desktops.packageHash"] = image.packageHash;
    }
    const { extraPackages, ...poolArgs } = args;
    const pool = new ThinClientDesktopPool(
      `${ctx.environment}-desktops`,
      {
        ...poolArgs,
        // Baked: the packages are in the image (the pool refuses them); the pool boots from it.
        ...(image ? { imageId: image.imageId, bakedDesktopImage: true } : { extraPackages }),
        employees: employeesOf(spec),
        // Where the stack owns the cloud it also set the quotas: the pool checks itself against them.
        ...(ctx.cloud?.quotas ? { projectLimits: ctx.cloud.quotas } : {}),
        networkId: net.networkId,
        subnetId: net.subnetId,
      },
      providerOptions(ctx, net, ...(image ? [image] : [])),
    );
    ctx.outputs["desktops.desktops"] = pool.desktops;
    ctx.outputs["desktops.passwords"] = pool.passwords;
    if (spec.workspace === "jupyter") ctx.outputs["desktops.jupyterUrls"] = pool.jupyterUrls;
  },
});
