import * as pulumi from "@pulumi/pulumi";
import type { MigrationInputs, MigrationOutputs } from "@openstack-blueprints/s2d";
import { ArgsProblems } from "../errors";
import { requireInProviderProcess } from "../pulumi/provider-process";
import { S2DMigrationArgs, s2dMigrationArgsSchema } from "./s2d-migration-args";
// The args are declared in their own module; importers of the component find them here too.
export type { S2DCloudArgs, S2DMigrationArgs } from "./s2d-migration-args";

/** Checksums of the migrated image, verified against the source cloud's values. */
export interface MigrationChecksums {
  md5: string;
  /** Glance's os_hash_algo, e.g. "sha512". */
  hashAlgo: string;
  hashValue: string;
  /** How B's os_hash_value was verified: "same-algorithm" as A's, or recomputed in B's algorithm during the stream. */
  hashCheck?: string;
}

/** A data volume moved with the server (attached to the new server in the source's order). */
export interface MigratedVolume {
  sourceVolumeId: string;
  targetVolumeId: string;
  name?: string;
  size: number;
  volumeType?: string;
  device?: string;
  md5: string;
  hashAlgo: string;
  hashValue: string;
}

/**
 * The dynamic provider runs inside Pulumi's provider host process. It loads the engine lazily
 * (registering ts-node when the workspace is used from TypeScript sources) so the serialised
 * closure stays a few lines.
 */
export const migrationProvider: pulumi.dynamic.ResourceProvider<MigrationInputs, MigrationOutputs> = {
  async check(_olds: MigrationInputs, news: MigrationInputs) {
    return { inputs: news };
  },
  async diff(_id: string, olds: MigrationOutputs, news: MigrationInputs) {
    const keys = ["source", "target", "server", "journalDir"] as const;
    const replaces = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const changes = replaces.length > 0 || olds.retain !== news.retain;
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: MigrationInputs) {
    return requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>(
      "@openstack-blueprints/s2d",
    ).createMigration(inputs);
  },
  async read(id: string, props?: MigrationOutputs) {
    return requireInProviderProcess<typeof import("@openstack-blueprints/s2d")>(
      "@openstack-blueprints/s2d",
    ).readMigration(id, props!);
  },
  async update(_id: string, olds: MigrationOutputs, news: MigrationInputs) {
    // Only `retain` changes in place (everything else replaces). The outputs are the resource's
    // whole state: what the migration made in B (createdInTarget, the server, the journal) must
    // stay, or a later destroy would not know what to delete.
    return { outs: { ...olds, ...news } };
  },
  async delete(id: string, props: MigrationOutputs) {
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
  declare public readonly volumes: pulumi.Output<MigratedVolume[]>;

  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
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
        volumes: undefined,
        createdInTarget: undefined,
        journalFile: undefined,
      },
      opts,
      "s2d",
      "S2DMigrationRun",
    );
  }
}

/** The args as problems may show them: cloud passwords and secrets replaced. */
function redactSecrets(args: S2DMigrationArgs): unknown {
  const hide = (cloud: unknown) =>
    cloud && typeof cloud === "object" && !pulumi.Output.isInstance(cloud)
      ? Object.fromEntries(Object.entries(cloud).map(([k, v]) => [k, /password|secret/i.test(k) ? "[secret]" : v]))
      : cloud;
  return { ...args, source: hide(args.source), target: hide(args.target) };
}

/** Checks the plain values of the args; throws one ComponentArgsError listing every problem. */
function validateArgs(args: S2DMigrationArgs, name: string): void {
  const problems = new ArgsProblems(`S2DMigration ${name}`);
  const parsed = s2dMigrationArgsSchema.safeParse(args);
  if (!parsed.success) problems.addZodIssues(parsed.error.issues, redactSecrets(args));
  problems.throwIfAny();
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
  /** The data volumes moved with the server: B's volume ids and devices, their verified checksums. */
  public readonly volumes: pulumi.Output<MigratedVolume[]>;

  constructor(name: string, args: S2DMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    validateArgs(args, name); // before anything is registered
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
        args.availabilityZone,
        args.networkMap,
        args.keepFixedIps,
      ])
      .apply(
        ([source, tname, sg, net, fip, fnet, kmode, kname, pub, flavor, stop, vis, keepSnap, zone, map, keepIps]) => {
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
          if (zone) s.availabilityZone = zone;
          // pulumi.all types a tuple this long as a union of its members.
          const entries = map as { source: string; target: string }[] | undefined;
          if (entries?.length) s.networkMap = entries;
          if (keepIps !== undefined) s.keepFixedIps = keepIps;
          return s;
        },
      );
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
    this.volumes = run.volumes;
    this.registerOutputs({
      volumes: this.volumes,
      targetServerId: this.targetServerId,
      targetServerStatus: this.targetServerStatus,
      addresses: this.addresses,
      floatingIp: this.floatingIp,
      targetImageId: this.targetImageId,
      checksums: this.checksums,
    });
  }
}
