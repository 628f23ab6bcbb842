import * as pulumi from "@pulumi/pulumi";
import { CloudRefSchema, ServerSpecSchema } from "@openstack-blueprints/s2d";
import { requireInProviderProcess } from "../pulumi/provider-process";

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

/** Checksums of the migrated image, verified against the source cloud's values. */
export interface MigrationChecksums {
  md5: string;
  /** Glance's os_hash_algo, e.g. "sha512". */
  hashAlgo: string;
  hashValue: string;
  /** How B's os_hash_value was verified: "same-algorithm" as A's, or recomputed in B's algorithm during the stream. */
  hashCheck?: string;
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
  /** "new", "none" or an allocated address in B. Default "new". */
  floatingIp?: pulumi.Input<string>;
  /** External network for a new floating IP. */
  floatingNetwork?: pulumi.Input<string>;
  /** "copy" (default, the source's key), "existing", "import" or "none". */
  keypairMode?: pulumi.Input<string>;
  keypairName?: pulumi.Input<string>;
  /** OpenSSH public key for keypairMode "import". */
  publicKey?: pulumi.Input<string>;
  /** Flavor in B by name (default: matched on vCPUs/RAM/disk). */
  flavorName?: pulumi.Input<string>;
  /** Stop the source for a consistent disk while snapshotting (started again after). */
  stopSource?: pulumi.Input<boolean>;
  /** private (default), shared, community or public. */
  imageVisibility?: pulumi.Input<string>;
  /** Keep the snapshot in cloud A after a verified migration (default: deleted). */
  keepSourceSnapshot?: pulumi.Input<boolean>;
  /** Keep the server, image, keypair, group and floating IP in B when this resource is deleted. */
  retainInTarget?: pulumi.Input<boolean>;
  /** Folder for the resume journal on the machine running Pulumi (default: OS temp dir). */
  journalDir?: pulumi.Input<string>;
}

/**
 * The dynamic provider runs inside Pulumi's provider host process. It loads the engine lazily
 * (registering ts-node when the workspace is used from TypeScript sources) so the serialised
 * closure stays a few lines.
 */
const migrationProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: any, news: any) {
    return { inputs: news };
  },
  async diff(_id: string, olds: any, news: any) {
    const keys = ["source", "target", "server", "journalDir"];
    const replaces = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const changes = replaces.length > 0 || olds.retain !== news.retain;
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: any) {
    return requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>(
      "@openstack-blueprints/s2d",
    ).createMigration(inputs);
  },
  async read(id: string, props: any) {
    return requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>(
      "@openstack-blueprints/s2d",
    ).readMigration(id, props);
  },
  async update(_id: string, _olds: any, news: any) {
    // Only `retain` changes in place (everything else replaces).
    return { outs: news };
  },
  async delete(id: string, props: any) {
    await requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>(
      "@openstack-blueprints/s2d",
    ).deleteMigration(id, props);
  },
};

// `declare`, not `!`: with ES2022 class fields a plain field declaration would be initialised to
// undefined after super() and hide the output the dynamic Resource constructor set.
class MigrationResource extends pulumi.dynamic.Resource {
  declare public readonly targetServerId: pulumi.Output<string>;
  declare public readonly targetServerStatus: pulumi.Output<string>;
  declare public readonly addresses: pulumi.Output<Record<string, string[]>>;
  declare public readonly targetImageId: pulumi.Output<string>;
  declare public readonly floatingIp: pulumi.Output<string>;
  declare public readonly checksums: pulumi.Output<MigrationChecksums>;

  constructor(name: string, props: Record<string, pulumi.Input<any>>, opts?: pulumi.CustomResourceOptions) {
    super(
      migrationProvider,
      name,
      {
        ...props,
        targetServerId: undefined,
        targetServerStatus: undefined,
        addresses: undefined,
        targetImageId: undefined,
        floatingIp: undefined,
        checksums: undefined,
        createdInTarget: undefined,
        journalFile: undefined,
      },
      opts,
      "s2d",
      "S2DMigrationRun",
    );
  }
}

function validateLiteral(args: S2DMigrationArgs, name: string): void {
  const problems: string[] = [];
  const check = (
    field: string,
    value: unknown,
    schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  ) => {
    if (
      value === undefined ||
      pulumi.Output.isInstance(value) ||
      (value && typeof (value as Promise<unknown>).then === "function")
    )
      return;
    const r = schema.safeParse(value);
    if (!r.success)
      problems.push(
        `${field}: ${r.error!.issues.map((i) => i.message).join("; ")} (got ${JSON.stringify(value, (k, v) => (/password|secret/i.test(k) ? "***" : v))})`,
      );
  };
  const plainCloud = (v: unknown) =>
    v &&
    typeof v === "object" &&
    !pulumi.Output.isInstance(v) &&
    !Object.values(v).some((x) => pulumi.Output.isInstance(x))
      ? v
      : undefined;
  check("source", plainCloud(args.source), CloudRefSchema);
  check("target", plainCloud(args.target), CloudRefSchema);
  const literal = <T>(v: pulumi.Input<T> | undefined): T | undefined =>
    pulumi.Output.isInstance(v) || (v && typeof (v as Promise<T>).then === "function")
      ? undefined
      : (v as T | undefined);
  const sp = ServerSpecSchema.shape;
  check("floatingIp", literal(args.floatingIp), sp.floatingIp);
  check("keypairMode", literal(args.keypairMode), sp.keypair.unwrap().shape.mode);
  check("imageVisibility", literal(args.imageVisibility), sp.image.unwrap().shape.visibility);
  check("publicKey", literal(args.publicKey), sp.keypair.unwrap().shape.publicKey);
  if (literal(args.keypairMode) === "import" && args.publicKey === undefined)
    problems.push('publicKey: required when keypairMode is "import"');
  if (problems.length) throw new Error(`S2DMigration ${name}: invalid arguments:\n  - ${problems.join("\n  - ")}`);
}

/**
 * Moves one server from cloud A to cloud B with the S2D engine (snapshot, Glance→Glance stream
 * with MD5 + sha512 verified, keypair, flavor, security-group rules, network, floating IP).
 * `pulumi up` runs the migration; refresh reads the target server; destroy removes what the
 * migration created in B unless `retainInTarget`. Credentials are secrets throughout.
 */
export class S2DMigration extends pulumi.ComponentResource {
  public readonly targetServerId: pulumi.Output<string>;
  public readonly targetServerStatus: pulumi.Output<string>;
  /** The new server's addresses in B by network name (fixed and floating), as Nova reports them. */
  public readonly addresses: pulumi.Output<Record<string, string[]>>;
  public readonly floatingIp: pulumi.Output<string>;
  public readonly targetImageId: pulumi.Output<string>;
  public readonly checksums: pulumi.Output<MigrationChecksums>;

  constructor(name: string, args: S2DMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    validateLiteral(args, name); // before anything is registered
    super("openstack-blueprints:index:S2DMigration", name, {}, opts);
    const server = pulumi
      .all([
        args.sourceServer,
        args.targetName,
        args.securityGroup,
        args.network,
        args.floatingIp,
        args.floatingNetwork,
        args.keypairMode,
        args.keypairName,
        args.publicKey,
        args.flavorName,
        args.stopSource,
        args.imageVisibility,
        args.keepSourceSnapshot,
      ])
      .apply(([source, tname, sg, net, fip, fnet, kmode, kname, pub, flavor, stop, vis, keepSnap]) => {
        const s: Record<string, unknown> = {
          source,
          securityGroup: sg ?? "default",
          floatingIp: fip ?? "new",
          keypair: { mode: kmode ?? "copy", ...(kname ? { name: kname } : {}), ...(pub ? { publicKey: pub } : {}) },
          image: { visibility: vis ?? "private" },
          flavor: flavor ? { name: flavor } : { matchSpecs: true },
          stopSource: stop ?? false,
          keepSourceSnapshot: keepSnap ?? false,
        };
        if (tname) s.name = tname;
        if (net) s.network = net;
        if (fnet) s.floatingNetwork = fnet;
        return s;
      });
    const run = new MigrationResource(
      `${name}-run`,
      {
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        server,
        retain: pulumi.output(args.retainInTarget).apply((r) => r ?? false),
        journalDir: args.journalDir,
        // One journal per resource: two migrations of one source server never share one.
        journalKey: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      { parent: this, additionalSecretOutputs: ["source", "target"], customTimeouts: { create: "2h", delete: "30m" } },
    );
    this.targetServerId = run.targetServerId;
    this.targetServerStatus = run.targetServerStatus;
    this.addresses = run.addresses;
    this.floatingIp = run.floatingIp;
    this.targetImageId = run.targetImageId;
    this.checksums = run.checksums;
    this.registerOutputs({
      targetServerId: this.targetServerId,
      targetServerStatus: this.targetServerStatus,
      addresses: this.addresses,
      floatingIp: this.floatingIp,
      targetImageId: this.targetImageId,
      checksums: this.checksums,
    });
  }
}
