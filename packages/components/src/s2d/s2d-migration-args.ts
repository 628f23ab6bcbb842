// Args of S2DMigration: the one declaration of its inputs and the zod schema that checks them,
// used by the component (before it registers anything) and by the environments' migration
// block (a stack file's `openstack-blueprints:migration`), so the two cannot disagree. The
// schema is held to the interface at compile time (SameShape). The rules for a cloud, a
// floating IP and a public key are the migration engine's own (@openstack-blueprints/s2d).
//
// keypairMode and imageVisibility are typed `string`: Pulumi's schema inference refuses union
// types (see test/provider); the schema checks the values.
import * as pulumi from "@pulumi/pulumi";
import { CloudRefSchema, isFloatingIpChoice, KEYPAIR_MODES, ServerSpecSchema } from "@openstack-blueprints/s2d";
import { z } from "zod";
import { pulumiInput, SameShape } from "../config/zod-types";

/**
 * A cloud for S2DMigration: a clouds.yaml entry (`cloud`) or inline credentials. The whole
 * object is made a Pulumi secret by the component.
 */
export interface S2DCloudArgs {
  /** Name in clouds.yaml on the machine running `pulumi up`. */
  cloud?: string;
  authUrl?: string;
  username?: string;
  password?: string;
  project?: string;
  userDomain?: string;
  projectDomain?: string;
  region?: string;
}

/** One interface of the source, by network: A's network (name or id) → B's network. */
export interface S2DNetworkMapping {
  source: pulumi.Input<string>;
  target: pulumi.Input<string>;
}

export interface S2DMigrationArgs {
  /** Cloud A (credentials become secrets). */
  source: pulumi.Input<S2DCloudArgs>;
  /** Cloud B (credentials become secrets). */
  target: pulumi.Input<S2DCloudArgs>;
  /** Source server id or unique name in cloud A. */
  sourceServer: pulumi.Input<string>;
  /** Name of the new server in B (default: the source's). */
  targetName?: pulumi.Input<string>;
  /** Target security group: "default" (rules copied into it) or a name created if missing. */
  securityGroup?: pulumi.Input<string>;
  /** Target network name or id (default: B's only non-external network). */
  network?: pulumi.Input<string>;
  /**
   * Availability zone of the new server in B (default: B's scheduler chooses). Checked in B
   * before any image data moves.
   */
  availabilityZone?: pulumi.Input<string>;
  /**
   * The source's interfaces by network: A's network (name or id) → B's network. Every mapped
   * interface is recreated in the source's order; an extra interface without an entry is refused.
   */
  networkMap?: pulumi.Input<pulumi.Input<S2DNetworkMapping>[]>;
  /** Keep the fixed IP of each mapped interface (default true; refused when B cannot give it). */
  keepFixedIps?: pulumi.Input<boolean>;
  /** "new", "none" or an allocated address in B. Default "new". */
  floatingIp?: pulumi.Input<string>;
  /** External network for a new floating IP. */
  floatingNetwork?: pulumi.Input<string>;
  /** "copy" (default, the source's key), "existing", "import" or "none". One of KEYPAIR_MODES. */
  keypairMode?: pulumi.Input<string>;
  keypairName?: pulumi.Input<string>;
  /** OpenSSH public key for keypairMode "import". */
  publicKey?: pulumi.Input<string>;
  /** Flavor in B by name (default: matched on vCPUs/RAM/disk). */
  flavorName?: pulumi.Input<string>;
  /** Stop the source for a consistent disk while snapshotting (started again after). */
  stopSource?: pulumi.Input<boolean>;
  /** private (default), shared, community or public. One of IMAGE_VISIBILITIES. */
  imageVisibility?: pulumi.Input<string>;
  /** Keep the snapshot in cloud A after a verified migration (default: deleted). */
  keepSourceSnapshot?: pulumi.Input<boolean>;
  /** Keep the server, image, keypair, group and floating IP in B when this resource is deleted. */
  retainInTarget?: pulumi.Input<boolean>;
  /** Folder for the resume journal on the machine running Pulumi (default: OS temp dir). */
  journalDir?: pulumi.Input<string>;
}

/** Who may see the migrated image in B (Glance visibility). */
export const IMAGE_VISIBILITIES = ["private", "shared", "community", "public"] as const;

const isPending = (value: unknown) => pulumi.Output.isInstance(value) || value instanceof Promise;

/**
 * A cloud as an Input: checked with the engine's CloudRefSchema when it is a plain object. An
 * object holding Outputs (a password from `config.requireSecret`) is known only at run time.
 */
const cloudInput = z
  .custom<pulumi.Input<S2DCloudArgs>>(() => true)
  .superRefine((value, ctx) => {
    if (isPending(value)) return;
    if (value === undefined || value === null) {
      ctx.addIssue({
        code: "custom",
        message: "is required: a cloud (cloud: a clouds.yaml name, or authUrl with username, password and project)",
      });
      return;
    }
    if (typeof value === "object" && Object.values(value).some(isPending)) return;
    const parsed = CloudRefSchema.safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue) });
  });

/** One of `values`, as a plain string (oneOf narrows its output, which an Input<string> field must not). */
const choice = (values: readonly string[]) =>
  z.string().refine((v) => values.includes(v), {
    message: `is not one of ${values.map((v) => JSON.stringify(v)).join(", ")}`,
  });

const flag = z.boolean({ message: "is not true or false" });

const name = (what: string) => z.string({ message: `is required: ${what}` }).min(1, { message: "must not be empty" });

/** S2DMigrationArgs field by field; the plain values are checked, Outputs when they resolve. */
export const s2dMigrationArgsSchema = z
  .object({
    source: cloudInput,
    target: cloudInput,
    sourceServer: pulumiInput(name("the source server's id or unique name in cloud A")),
    targetName: pulumiInput(name("a server name")).optional(),
    securityGroup: pulumiInput(name("a security group name")).optional(),
    network: pulumiInput(name("a network name or id")).optional(),
    availabilityZone: pulumiInput(name("an availability zone of cloud B")).optional(),
    networkMap: pulumiInput(
      z.array(
        pulumiInput(
          z
            .object({
              source: pulumiInput(name("a network of cloud A")),
              target: pulumiInput(name("a network of cloud B")),
            })
            .strict(),
        ),
      ),
    ).optional(),
    keepFixedIps: pulumiInput(flag).optional(),
    floatingIp: pulumiInput(
      z.string().refine(isFloatingIpChoice, {
        message: 'is not "new", "none" or an IPv4 address (four numbers 0-255) already allocated in B',
      }),
    ).optional(),
    floatingNetwork: pulumiInput(name("an external network name")).optional(),
    keypairMode: pulumiInput(choice(KEYPAIR_MODES)).optional(),
    keypairName: pulumiInput(name("a keypair name")).optional(),
    publicKey: pulumiInput(ServerSpecSchema.shape.keypair.unwrap().shape.publicKey.unwrap()).optional(),
    flavorName: pulumiInput(name("a flavor name")).optional(),
    stopSource: pulumiInput(flag).optional(),
    imageVisibility: pulumiInput(choice(IMAGE_VISIBILITIES)).optional(),
    keepSourceSnapshot: pulumiInput(flag).optional(),
    retainInTarget: pulumiInput(flag).optional(),
    journalDir: pulumiInput(name("a folder")).optional(),
  })
  .superRefine((args, ctx) => {
    // Between fields: an imported key needs the key (the engine's own rule for a spec file).
    if (args.keypairMode === "import" && args.publicKey === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["publicKey"],
        message: 'is required when keypairMode is "import": the OpenSSH public key to import into B',
      });
  });

// The schema and S2DMigrationArgs describe the same fields: adding one to either alone fails tsc.
const _schemaMatchesArgs: SameShape<z.input<typeof s2dMigrationArgsSchema>, S2DMigrationArgs> = true;
void _schemaMatchesArgs;
