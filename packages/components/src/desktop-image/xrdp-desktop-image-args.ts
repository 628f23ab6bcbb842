// Args of XrdpDesktopImage: the one declaration of its inputs (the interface other languages'
// SDKs are inferred from) and the zod schema the plan checks them with. The schema is held to
// the interface at compile time (SameShape), so the two cannot drift apart. The rules for names,
// distro and version are the bake plan's own (bake-plan.ts), those for packages and the RDP group
// the desktop pool's, so an image and the pool that boots from it accept the same values.
import * as pulumi from "@pulumi/pulumi";
import { CloudRefSchema } from "@openstack-blueprints/s2d";
import { z } from "zod";
import { pulumiInput, SameShape } from "../config/zod-types";
import { DEBIAN_PACKAGE, GROUP_NAME } from "../desktop/desktop-user-data";
import type { S2DCloudArgs } from "../s2d/s2d-migration-args";
import { BAKE_NAME_PREFIX, BAKE_OS_DISTRO, BAKE_OS_VERSION } from "./bake-plan";

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
  /**
   * Availability zone of the builder (default: Nova's default zone). Give it when only some zones
   * run guests or reach the builder's network: a builder scheduled elsewhere never prints its marker.
   */
  availabilityZone?: string;
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

/** The shortest console wait accepted: installing a desktop takes minutes. */
export const MIN_CONSOLE_TIMEOUT_SECONDS = 60;

const isPending = (value: unknown) => pulumi.Output.isInstance(value) || value instanceof Promise;

/**
 * Inline credentials as an Input: checked with the migration engine's CloudRefSchema when they
 * are a plain object. An object holding Outputs (a DevstackHost's admin password) is known only
 * at run time, where the dynamic provider parses it again.
 */
const credentialsInput = z
  .custom<pulumi.Input<S2DCloudArgs>>(() => true)
  .superRefine((value, ctx) => {
    if (isPending(value)) return;
    if (typeof value !== "object" || value === null) {
      ctx.addIssue({
        code: "custom",
        message: "is not a cloud: give authUrl, username, password and project (or cloud: a clouds.yaml name)",
      });
      return;
    }
    if (Object.values(value).some(isPending)) return;
    const parsed = CloudRefSchema.safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue) });
  });

const bool = z.boolean({ message: "is not true or false" });
const id = (what: string) =>
  pulumiInput(z.string({ message: `is required: ${what}` }).min(1, `is empty; give ${what}`));

/** XrdpDesktopImageArgs field by field; Inputs are checked when they are plain values. */
export const xrdpDesktopImageArgsSchema = z.object({
  cloud: z.string({ message: "is not a clouds.yaml entry name" }).optional(),
  credentials: credentialsInput.optional(),
  baseImageId: id("the base image's ID (a Debian/Ubuntu cloud image with cloud-init)"),
  flavorId: id("the builder's flavor ID"),
  networkId: id("the builder's network ID (with egress to a package mirror)"),
  availabilityZone: z
    .string({ message: 'is not an availability zone name (e.g. "nova")' })
    .min(1, { message: 'is empty; give a zone name (e.g. "nova") or leave it out for Nova\'s default' })
    .optional(),
  osDistro: z
    .string({ message: 'is required: the Glance os_distro of the image, e.g. "debian"' })
    .regex(BAKE_OS_DISTRO, { message: 'must be a Glance os_distro value in lower case, e.g. "debian" or "ubuntu"' }),
  osVersion: z
    .string({ message: 'is not a version like "12"' })
    .regex(BAKE_OS_VERSION, { message: 'must be a short version like "12" or "24.04"' })
    .optional(),
  namePrefix: z
    .string({ message: "is not a name prefix" })
    .regex(BAKE_NAME_PREFIX, {
      message: "must be 1-101 letters, digits, '.', '_' or '-', starting with a letter or digit",
    })
    .optional(),
  extraPackages: z
    .array(z.string().regex(DEBIAN_PACKAGE, { message: 'is not a Debian package name (e.g. "libreoffice")' }), {
      message: 'is not a list of Debian package names (e.g. ["libreoffice"])',
    })
    .optional(),
  installRecommends: bool.optional(),
  rdpGroup: z
    .string({ message: "is not a group name" })
    .max(32, { message: "is longer than 32 characters" })
    .regex(GROUP_NAME, {
      message: "is not a valid group name: use lower-case letters, digits, '-' and '_', starting with a letter",
    })
    .optional(),
  consoleTimeoutSeconds: z
    .number({ message: "is not a number" })
    .int({ message: `must be a whole number of seconds, ${MIN_CONSOLE_TIMEOUT_SECONDS} or more` })
    .min(MIN_CONSOLE_TIMEOUT_SECONDS, {
      message: `must be a whole number of seconds, ${MIN_CONSOLE_TIMEOUT_SECONDS} or more (installing a desktop takes minutes)`,
    })
    .optional(),
  retainOnDelete: bool.optional(),
});

// The schema and the interface describe the same fields: adding one to either alone fails tsc.
const _imageSchemaMatchesArgs: SameShape<z.input<typeof xrdpDesktopImageArgsSchema>, XrdpDesktopImageArgs> = true;
void _imageSchemaMatchesArgs;
