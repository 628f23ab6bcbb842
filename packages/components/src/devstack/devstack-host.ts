import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { asRootCommand } from "../scripts/remote-script";
import { secretStdin } from "../scripts/secret-stdin";
import { renderCloudsYaml, devstackEndpoints } from "./clouds-yaml";
import { planDevstackHost } from "./devstack-plan";
import type { DevstackQuotas } from "./devstack-scripts";

/** How to reach the host over SSH. The host key is required: an unpinned key accepts any server. */
export interface DevstackConnectionArgs {
  /** Address or name the SSH client connects to. */
  host: pulumi.Input<string>;
  /** Default 22. */
  port?: pulumi.Input<number>;
  /** Default root; another user needs passwordless sudo. */
  user?: pulumi.Input<string>;
  /** Private key (OpenSSH or PEM); always handled as a secret. */
  privateKey: pulumi.Input<string>;
  /** The server's public host key, e.g. "ssh-ed25519 AAAA…" (from /etc/ssh/ssh_host_ed25519_key.pub). */
  hostKey: pulumi.Input<string>;
}

/** An image uploaded after stack.sh (Glance downloads it from the URL). */
export interface DevstackImageArgs {
  name: string;
  sourceUrl: string;
  /** Default "qcow2". */
  diskFormat?: string;
  /** Default "public". */
  visibility?: string;
}

/** A flavor created after stack.sh. */
export interface DevstackFlavorArgs {
  name: string;
  vcpus: number;
  ramMiB: number;
  diskGiB: number;
  /** Default true. */
  isPublic?: boolean;
}

/**
 * Arguments of DevstackHost. The local.conf fields are plain values (not Inputs): they are
 * validated before any command touches the host.
 */
export interface DevstackHostArgs {
  connection: DevstackConnectionArgs;
  /** HOST_IP: the host's address that services bind to (required; must be on an interface). */
  hostIp: string;
  /** devstack branch; default "stable/2026.1". One of master, stable/2026.1, stable/2025.2. */
  branch?: string;
  /** Where to clone devstack from; default https://opendev.org/openstack/devstack (mirrors welcome). */
  devstackRepoUrl?: string;
  /** GIT_BASE for every project devstack clones (mirrors); default devstack's (opendev). */
  gitBase?: string;
  /** FLOATING_RANGE; default 172.24.4.0/24 (NATed by the host). */
  floatingRange?: string;
  /** PUBLIC_NETWORK_GATEWAY (br-ex's address); default the first host of floatingRange. */
  publicNetworkGateway?: string;
  /** Q_FLOATING_ALLOCATION_POOL start (with floatingAllocationEnd); default the whole range. */
  floatingAllocationStart?: string;
  floatingAllocationEnd?: string;
  /** IPV4_ADDRS_SAFE_TO_USE (tenant subnets); default 10.0.0.0/22. */
  fixedRange?: string;
  /** PUBLIC_INTERFACE: a NIC devstack moves onto br-ex (flat LAN layout). Default none (NAT). */
  publicInterface?: string;
  /** Services to enable (enable_service) and disable (disable_service). */
  enabledServices?: string[];
  disabledServices?: string[];
  /** VOLUME_BACKING_FILE_SIZE, e.g. "30G". */
  volumeBackingFileSize?: string;
  /** Nova allocation ratios, written as post-config of $NOVA_CONF (reaches nova-compute too). */
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  /** REGION_NAME; default RegionOne. */
  region?: string;
  /** Escape hatch: extra localrc lines (NAME=value, enable_plugin …). Obsolete and managed variables are refused. */
  extraLocalrcLines?: string[];
  /** Precheck minimums; default 7680 MiB RAM (an "8 GB" machine) and 40 GiB free under /opt/stack. */
  minRamMiB?: number;
  minFreeDiskGiB?: number;
  /** Map the hostname to hostIp in /etc/hosts when it does not resolve (RabbitMQ needs it); default true. */
  manageEtcHosts?: boolean;
  /** More Debian packages for the prepare step (e.g. "lvm2"). */
  extraPackages?: string[];
  /**
   * stack.sh runs once per value of this key. Change it (e.g. "1" → "2") to rebuild: the old
   * stack step is deleted first (unstack/clean as configured), then stack.sh runs again.
   * Default "1".
   */
  rebuild?: string;
  /** Time limit for stack.sh; default 90 minutes. */
  stackTimeoutMinutes?: number;
  /** A free block device to add to cinder's volume group after stack.sh (pvcreate + vgextend). */
  extraVolumeDevice?: string;
  /** Default stack-volumes-lvmdriver-1. */
  cinderVolumeGroup?: string;
  /** Persist NAT + ip_forward in a boot-time unit; default true when publicInterface is unset. */
  persistentNat?: boolean;
  /** Uplink for NAT; default the default-route interface. */
  natInterface?: string;
  /** Also set proxy_arp on br-ex and the uplink (seed 004); default false. */
  proxyArp?: boolean;
  /** Run unstack.sh when the component (or its stack step) is deleted; default true. */
  unstackOnDelete?: boolean;
  /** Also run clean.sh (removes the cloud's data) on delete; default false. */
  cleanOnDelete?: boolean;
  /** Entry name in the clouds.yaml output; default "devstack". */
  cloudName?: string;
  /**
   * Compute and network quotas of the admin project (the one the stack's provider uses), set
   * after stack.sh with `openstack quota set` (-1: unlimited). A fresh project allows only 10
   * instances, 20 cores and 50 GiB of RAM.
   */
  quotas?: DevstackQuotas;
  /** Images and flavors to create through the new cloud once it is up. */
  images?: DevstackImageArgs[];
  flavors?: DevstackFlavorArgs[];
}

/** The openstack.Provider each DevstackHost creates, for TypeScript programs (see devstackProvider). */
const providers = new WeakMap<DevstackHost, openstack.Provider>();

/** The openstack.Provider for the cloud a DevstackHost built (pass as `provider` to resources). */
export function devstackProvider(host: DevstackHost): openstack.Provider {
  const provider = providers.get(host);
  if (!provider) throw new Error("devstackProvider: not a DevstackHost constructed in this program");
  return provider;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * An all-in-one OpenStack (DevStack) on an existing Debian/Ubuntu host, over SSH: prechecks →
 * prepare → clone → local.conf → stack.sh (once per rebuild key) → NAT unit / extra volume →
 * images and flavors. Secrets travel only on the commands' stdin.
 */
export class DevstackHost extends pulumi.ComponentResource {
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Keystone as devstack serves it (http://HOST_IP/identity). */
  public readonly identityUrl: pulumi.Output<string>;
  /** Keystone v3 (what the provider authenticates against). */
  public readonly authUrl: pulumi.Output<string>;
  public readonly region: pulumi.Output<string>;
  public readonly adminUserName: pulumi.Output<string>;
  public readonly adminProjectName: pulumi.Output<string>;
  public readonly userDomainName: pulumi.Output<string>;
  public readonly projectDomainName: pulumi.Output<string>;
  /** Secret. */
  public readonly adminPassword: pulumi.Output<string>;
  /** Secret: a clouds.yaml document for the admin user. */
  public readonly cloudsYaml: pulumi.Output<string>;
  /** URN of the openstack.Provider child (TypeScript: devstackProvider(host)). */
  public readonly providerUrn: pulumi.Output<string>;
  /** The devstack branch that was deployed. */
  public readonly branch: pulumi.Output<string>;
  public readonly imageIds: pulumi.Output<string[]>;
  public readonly flavorIds: pulumi.Output<string[]>;

  constructor(name: string, args: DevstackHostArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything is validated, and every script rendered, before any resource is registered.
    const plan = planDevstackHost(name, args);
    super("openstack-blueprints:index:DevstackHost", name, {}, opts);
    const { settings, rebuild, stackTimeoutMinutes, cloudName, images, flavors, scripts } = plan;

    const connection: command.types.input.remote.ConnectionArgs = {
      host: args.connection.host,
      port: args.connection.port,
      user: args.connection.user,
      privateKey: pulumi.secret(args.connection.privateKey),
      hostKey: args.connection.hostKey,
      // stack.sh keeps the session busy for half an hour; reconnects are the provider's job.
      dialErrorLimit: 20,
      perDialTimeout: 30,
    };

    const password = (role: string) => new random.RandomPassword(`${name}-${role}-password`, {
      // devstack breaks on special characters in its passwords.
      length: 32, special: false, upper: true, lower: true, numeric: true, minUpper: 2, minLower: 2, minNumeric: 2,
    }, { parent: this, additionalSecretOutputs: ["result"] });
    const adminPassword = pulumi.secret(password("admin").result);
    const databasePassword = pulumi.secret(password("database").result);
    const rabbitPassword = pulumi.secret(password("rabbit").result);
    const servicePassword = pulumi.secret(password("service").result);

    // What re-runs when: a step's command text embeds the inputs it uses, so the provider re-runs
    // it (update, else create) when they change; every script is idempotent. Only the stack
    // step uses `triggers` (the rebuild key): changing it replaces that step, deleting first.
    const step = (
      stepName: string,
      script: string,
      timeout: string,
      dependsOn: pulumi.Resource[],
      extra: Partial<command.remote.CommandArgs> = {},
      opts: pulumi.CustomResourceOptions = {},
    ) => new command.remote.Command(`${name}-${stepName}`, {
      connection,
      create: asRootCommand(script),
      // These steps print no secrets (secrets arrive on stdin and are never echoed).
      logging: "stdoutAndStderr",
      ...extra,
    }, { parent: this, dependsOn, customTimeouts: { create: timeout, update: timeout, delete: "30m" }, ...opts });

    const precheck = step("precheck", scripts.precheck, "5m", []);
    const prepare = step("prepare", scripts.prepare, "20m", [precheck]);
    const clone = step("clone", scripts.clone, "20m", [prepare]);
    const localConf = step("local-conf", scripts.localConf, "5m", [clone], {
      stdin: secretStdin(adminPassword, databasePassword, rabbitPassword, servicePassword),
      // The passwords are on stdin; output stays out of logs and is a secret in state, in case.
      logging: "none",
    }, { additionalSecretOutputs: ["stdout", "stderr", "stdin"] });
    const stack = step("stack", scripts.stack, `${stackTimeoutMinutes}m`, [localConf], {
      delete: asRootCommand(scripts.stackDelete),
      triggers: [rebuild],
      // stdout goes to the log file on the host; stderr carries progress and, on failure, the
      // log's tail with passwords masked.
      logging: "stderr",
    }, { additionalSecretOutputs: ["stdout", "stderr"], deleteBeforeReplace: true });
    const afterStack: pulumi.Resource[] = [stack];
    if (scripts.nat) afterStack.push(step("nat", scripts.nat, "10m", [stack]));
    if (scripts.extraVolume) afterStack.push(step("extra-volume", scripts.extraVolume, "10m", [stack]));
    if (scripts.quotas) afterStack.push(step("quotas", scripts.quotas, "5m", [stack]));

    const endpoints = devstackEndpoints(settings.hostIp);
    const provider = new openstack.Provider(`${name}-provider`, {
      authUrl: endpoints.authUrl,
      userName: "admin",
      password: adminPassword,
      tenantName: "admin",
      userDomainName: "Default",
      projectDomainName: "Default",
      region: settings.region,
    }, { parent: this, dependsOn: afterStack });
    providers.set(this, provider);

    const cloudOpts = { parent: this, provider, dependsOn: afterStack };
    const imageResources = images.map((image) => new openstack.images.Image(`${name}-image-${slug(image.name)}`, {
      name: image.name,
      imageSourceUrl: image.sourceUrl,
      containerFormat: "bare",
      diskFormat: image.diskFormat ?? "qcow2",
      visibility: image.visibility ?? "public",
    }, cloudOpts));
    const flavorResources = flavors.map((flavor) => new openstack.compute.Flavor(`${name}-flavor-${slug(flavor.name)}`, {
      name: flavor.name,
      vcpus: flavor.vcpus,
      ram: flavor.ramMiB,
      disk: flavor.diskGiB,
      isPublic: flavor.isPublic ?? true,
    }, cloudOpts));

    // URLs become known once the stack step has succeeded, so consumers wait for a working cloud.
    const whenBuilt = <T>(value: T): pulumi.Output<T> => stack.id.apply(() => value);
    this.dashboardUrl = whenBuilt(endpoints.dashboardUrl);
    this.identityUrl = whenBuilt(endpoints.identityUrl);
    this.authUrl = whenBuilt(endpoints.authUrl);
    this.region = pulumi.output(settings.region);
    this.adminUserName = pulumi.output("admin");
    this.adminProjectName = pulumi.output("admin");
    this.userDomainName = pulumi.output("Default");
    this.projectDomainName = pulumi.output("Default");
    this.adminPassword = adminPassword;
    this.cloudsYaml = pulumi.secret(adminPassword.apply((pw) => renderCloudsYaml({ cloudName, authUrl: endpoints.identityUrl, region: settings.region, password: pw })));
    this.providerUrn = provider.urn;
    this.branch = pulumi.output(settings.branch);
    this.imageIds = pulumi.all(imageResources.map((r) => r.id));
    this.flavorIds = pulumi.all(flavorResources.map((r) => r.id));

    this.registerOutputs({
      dashboardUrl: this.dashboardUrl, identityUrl: this.identityUrl, authUrl: this.authUrl, region: this.region,
      adminUserName: this.adminUserName, adminProjectName: this.adminProjectName, userDomainName: this.userDomainName,
      projectDomainName: this.projectDomainName, adminPassword: this.adminPassword, cloudsYaml: this.cloudsYaml,
      providerUrn: this.providerUrn, branch: this.branch, imageIds: this.imageIds, flavorIds: this.flavorIds,
    });
  }
}
