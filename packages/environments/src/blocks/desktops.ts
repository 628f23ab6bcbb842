// `openstack-blueprints:desktops`: a ThinClientDesktopPool on a network of the `networks` block.
// Employees are listed, or generated as <employeePrefix>-001 … for employeeCount.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import {
  SelfServicePortal,
  ThinClientDesktopPool,
  XrdpDesktopImage,
  portalDesktopsFromPool,
  selfServicePortalArgsSchema,
  thinClientDesktopPoolArgsSchema,
  type DesktopHomeVolumesArgs,
} from "@openstack-blueprints/components";
import { estimatePortalUserDataBytes, NOVA_USER_DATA_MAX_BASE64 } from "@openstack-blueprints/components/internal";
import { z } from "zod";
import { defineBlock, providerOptions, strictConfig } from "../block";
import { resourceName } from "./networks";

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

/**
 * Environments whose desktops keep each employee's /home on a Cinder volume unless the stack says
 * `homeVolumes: false`: without it a rebuilt desktop (a password rotation, a re-baked image, a
 * changed package list) loses what its employee saved. Sizes from each scenario: a small firm's
 * office keeps documents and mail (10 GiB each); a notebooks lab keeps data sets, notebooks and
 * models (20 GiB each). The stack's DevStack must allow and hold them (quotas.volumes/volumeGiB,
 * volumeBackingFileSize): checked before anything is built.
 */
export const DEFAULT_HOME_VOLUMES: Readonly<Record<string, DesktopHomeVolumesArgs>> = {
  office: { sizeGiB: 10 },
  notebooks: { sizeGiB: 20 },
};

/** The home volumes the pool gets: the stack's, else its environment's default; none with `false`. */
export function homeVolumesOf(
  spec: Pick<z.infer<typeof desktopsSpec>, "homeVolumes">,
  environment: string,
): DesktopHomeVolumesArgs | undefined {
  if (spec.homeVolumes === false) return undefined;
  return spec.homeVolumes ?? DEFAULT_HOME_VOLUMES[environment];
}

/**
 * The self-service portal next to the pool (SelfServicePortal): employees start, stop, shelve and
 * unshelve their own desktop, and the pool's guests report their sessions to it (AutoStop). Its
 * address is fixed beforehand (`fixedIp`, outside the network's allocation pools) so the pool's
 * `sessionReports` can name it; the certificate and key are the stack's secrets. `enabled: false`
 * opts out (no portal, no session reports).
 */
const portalSpec = strictConfig(selfServicePortalArgsSchema)
  .pick({
    fixedIp: true,
    flavor: true,
    imageName: true,
    tls: true,
    admins: true,
    adminCidrs: true,
    authUrl: true,
    floatingIpPool: true,
    autoStopIdleMinutes: true,
    sessionMinutes: true,
    portalPackage: true,
  })
  .partial({ adminCidrs: true, authUrl: true })
  .extend({
    /** Default true: the portal is deployed when this setting is there; false opts out. */
    enabled: z.boolean().optional(),
    /** PEM of the CA that signed the portal's certificate, for the guests' session reports. */
    caCertificate: z.string().optional(),
  })
  .strict();

/**
 * The stack's desktops value: ThinClientDesktopPool's args, except what the stack supplies itself
 * (the network and subnet of a `networks` entry, the baked image, the quotas DevStack set) or
 * generates (employees from employeePrefix/employeeCount); plus the bake and routing settings.
 */
export const desktopsSpec = strictConfig(thinClientDesktopPoolArgsSchema)
  .omit({
    networkId: true,
    subnetId: true,
    // The pool makes its own network from these; a stack's network is a `networks` entry.
    networkCidr: true,
    externalNetworkName: true,
    dnsNameservers: true,
    imageId: true,
    bakedDesktopImage: true,
    projectLimits: true,
  })
  .extend({
    /** A network of the `networks` block. */
    network: resourceName,
    employees: strictConfig(thinClientDesktopPoolArgsSchema.shape.employees).optional(),
    employeePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,20}$/, { message: "is not a user name prefix (lowercase letter, then letters/digits)" })
      .optional(),
    employeeCount: z.number().int().min(1).max(2000).optional(),
    /**
     * The thin clients' router forwards thinClientCidr to the desktops' addresses (a route you
     * manage, e.g. on the office router to the tenant subnet via the Neutron router's external
     * address): the stack's reachability check then trusts it. Not passed to the pool.
     */
    thinClientsRouted: z.boolean().optional(),
    /**
     * The pool's homeVolumes, or false: homes on the root disks (a rebuild loses them; the pool
     * warns at every preview). Default in the office and notebooks environments: on
     * (DEFAULT_HOME_VOLUMES), elsewhere off.
     */
    homeVolumes: z
      .union([z.literal(false), strictConfig(thinClientDesktopPoolArgsSchema.shape.homeVolumes.unwrap())])
      .optional(),
    bake: bakeSpec.optional(),
    portal: portalSpec.optional(),
  })
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
    if (spec.portal && spec.portal.enabled !== false) {
      if (spec.portal.fixedIp === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["portal", "fixedIp"],
          message:
            "is required: the portal's address on the desktops' network, outside its allocationPools (the desktops' session reports name it), or set portal.enabled: false",
        });
      if (spec.sessionReports !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["sessionReports"],
          message:
            "cannot be given with portal (the desktops report to the stack's portal); leave it out, or set portal.enabled: false",
        });
      if (spec.portal.adminCidrs === undefined && spec.adminCidr === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["portal", "adminCidrs"],
          message: "is required without adminCidr: give the admins' block(s) the portal is open to",
        });
      // Nova's user-data limit, now: the portal finds the servers in Nova, but each employee's
      // hashes are in its user data (measured with hashes of the real shape and randomness).
      const employees = employeesOf(spec).map((e) => e.name);
      const plain = (v: unknown) => (typeof v === "string" ? v : undefined);
      const bytes =
        employees.length === 0
          ? 0
          : estimatePortalUserDataBytes({
              employees,
              poolName: "environment-desktops",
              reportTokens: true,
              jupyterUrlLength: spec.workspace === "jupyter" ? 32 : undefined,
              admins: Object.keys(spec.portal.admins ?? {}),
              certificate: plain(spec.portal.tls?.certificate),
              privateKey: plain(spec.portal.tls?.privateKey),
              autoStopIdleMinutes: spec.portal.autoStopIdleMinutes,
            });
      if (bytes > NOVA_USER_DATA_MAX_BASE64)
        ctx.addIssue({
          code: "custom",
          path: [spec.employeeCount !== undefined ? "employeeCount" : "employees"],
          message: `${employees.length} employees make the portal's user data about ${bytes} bytes (their password and report token hashes, gzipped, base64), over Nova's ${NOVA_USER_DATA_MAX_BASE64}-byte user-data limit; split them over two stacks, each with its portal, or set portal.enabled: false`,
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
  needs: ["networks"],
  uses: ["provider", "cloud", "credentials"],
  run: (spec, inputs, environment) => {
    const net = inputs.networks.get(spec.network);
    if (!net)
      throw new Error(
        `openstack-blueprints:desktops.network: ${JSON.stringify(spec.network)} is not a network of this stack; known: ${[...inputs.networks.keys()].join(", ") || "none"}`,
      );
    const {
      network: _n,
      employees: _e,
      employeePrefix: _p,
      employeeCount: _c,
      bake,
      thinClientsRouted: _r,
      homeVolumes: _h,
      portal: portalSettings,
      extraPackages,
      imageName,
      ...poolArgs
    } = spec;
    const homeVolumes = homeVolumesOf(spec, environment);
    // An image the stack's DevStack uploads is taken by ID from it: the pool looks a name up
    // (it must, for a block device mapping such as a home volume) while the stack is planned,
    // before DevStack exists on a first `up`.
    const cloudImageId = imageName !== undefined ? inputs.cloud?.imageIds.get(imageName) : undefined;
    const imageArgs = cloudImageId ? { imageId: cloudImageId } : imageName !== undefined ? { imageName } : {};
    const portal = portalSettings?.enabled !== false ? portalSettings : undefined;
    if (portal && net.subnetId === undefined)
      throw new Error(
        `openstack-blueprints:desktops.portal: the network ${JSON.stringify(spec.network)} has no subnet of this stack for the portal's fixedIp; set portal.enabled: false or use a network the stack makes`,
      );
    if (portal && portal.authUrl === undefined && !inputs.credentials)
      throw new Error(
        "openstack-blueprints:desktops.portal.authUrl: is required when the stack has no devstack block (Keystone's URL as the portal's server reaches it)",
      );
    const outputs: Record<string, pulumi.Output<unknown>> = {};
    let image: XrdpDesktopImage | undefined;
    if (bake) {
      // Names → IDs: an image or flavor the stack's DevStack makes is taken from it (a lookup could
      // run before the upload finished); anything else is looked up through the stack's provider.
      const invokeOpts = inputs.provider ? { provider: inputs.provider } : {};
      const baseImageId =
        inputs.cloud?.imageIds.get(bake.baseImage) ??
        openstack.images.getImageOutput({ name: bake.baseImage, mostRecent: true }, invokeOpts).id;
      const flavorId =
        inputs.cloud?.flavorIds.get(bake.builderFlavor) ??
        openstack.compute.getFlavorOutput({ name: bake.builderFlavor }, invokeOpts).id;
      image = new XrdpDesktopImage(
        `${environment}-desktop-image`,
        {
          ...(inputs.credentials ? { credentials: inputs.credentials } : {}),
          baseImageId,
          flavorId,
          networkId: net.networkId,
          osDistro: bake.osDistro,
          osVersion: bake.osVersion,
          extraPackages,
          retainOnDelete: bake.retainOnDelete,
          consoleTimeoutSeconds: bake.consoleTimeoutSeconds,
        },
        providerOptions(inputs, net),
      );
      outputs["desktops.imageId"] = image.imageId;
      outputs["desktops.imageName"] = image.imageName;
      outputs["desktops.packageHash"] = image.packageHash;
    }
    const pool = new ThinClientDesktopPool(
      `${environment}-desktops`,
      {
        ...poolArgs,
        // Baked: the packages are in the image (the pool refuses them); the pool boots from it.
        ...(image ? { imageId: image.imageId, bakedDesktopImage: true } : { ...imageArgs, extraPackages }),
        employees: employeesOf(spec),
        ...(homeVolumes ? { homeVolumes } : {}),
        // Where the stack owns the cloud it also set the quotas: the pool checks itself against them.
        ...(inputs.cloud?.quotas ? { projectLimits: inputs.cloud.quotas } : {}),
        networkId: net.networkId,
        subnetId: net.subnetId,
        // The guests report their sessions to the portal at its fixed address (AutoStop).
        ...(portal
          ? { sessionReports: { portalUrl: `https://${portal.fixedIp}/`, caCertificate: portal.caCertificate } }
          : {}),
      },
      providerOptions(inputs, net, ...(image ? [image] : [])),
    );
    outputs["desktops.desktops"] = pool.desktops;
    outputs["desktops.passwords"] = pool.passwords;
    // For the self-service portal (`blueprints portal --outputs`): sign-ins checked without passwords.
    outputs["desktops.passwordHashes"] = pool.passwordHashes;
    if (spec.workspace === "jupyter") outputs["desktops.jupyterUrls"] = pool.jupyterUrls;
    if (portal) {
      const selfService = new SelfServicePortal(
        `${environment}-portal`,
        {
          networkId: net.networkId,
          subnetId: net.subnetId,
          fixedIp: portal.fixedIp,
          flavor: portal.flavor,
          imageName: portal.imageName,
          floatingIpPool: portal.floatingIpPool,
          desktops: portalDesktopsFromPool(pool),
          // The portal finds each employee's server in Nova by the pool's metadata: its user data
          // holds only the hashes (the office's 200 desktops fit Nova's limit).
          poolName: `${environment}-desktops`,
          reportSecurityGroupId: pool.securityGroupId,
          admins: Object.fromEntries(Object.entries(portal.admins ?? {}).map(([n, h]) => [n, pulumi.secret(h)])),
          thinClientCidr: spec.thinClientCidr,
          adminCidrs: portal.adminCidrs ?? [spec.adminCidr!],
          tls: { certificate: portal.tls.certificate, privateKey: pulumi.secret(portal.tls.privateKey) },
          authUrl: portal.authUrl ?? inputs.credentials!.apply((c) => c.authUrl ?? ""),
          autoStopIdleMinutes: portal.autoStopIdleMinutes,
          sessionMinutes: portal.sessionMinutes,
          portalPackage: portal.portalPackage,
        },
        // After the pool: its floating IP needs the router interface, the rules need the servers.
        providerOptions(inputs, net, pool),
      );
      outputs["desktops.portalUrl"] = selfService.url;
    }
    return { outputs };
  },
});
