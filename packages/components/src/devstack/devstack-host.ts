import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { asRootCommand } from "../scripts/remote-script";
import { secretStdin } from "../scripts/secret-stdin";
import { GeneratedSecret } from "../secrets/generated-secret";
import { renderCloudsYaml, devstackEndpoints } from "./clouds-yaml";
import type { DevstackHostArgs } from "./devstack-args";
import { planDevstackHost } from "./devstack-plan";

/** The openstack.Provider each DevstackHost creates, for TypeScript programs (see devstackProvider). */
const providers = new WeakMap<DevstackHost, openstack.Provider>();

/** The openstack.Provider for the cloud a DevstackHost built (pass as `provider` to resources). */
export function devstackProvider(host: DevstackHost): openstack.Provider {
  const provider = providers.get(host);
  if (!provider) throw new Error("devstackProvider: not a DevstackHost constructed in this program");
  return provider;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
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
  /** tlsProxy: the CA chain (PEM) the endpoints' certificates are signed by; "" without TLS. */
  public readonly caCertificate: pulumi.Output<string>;

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

    // Made by the stack's own dynamic provider (no pulumi-random plugin); letters and digits
    // only: devstack breaks on special characters in its passwords. adoptPasswords carries over
    // what a DevStack made before this provider already runs with (docs/devstack.md).
    const password = (role: "admin" | "database" | "rabbit" | "service") =>
      new GeneratedSecret(
        `${name}-${role}-password`,
        { length: 32, minPerClass: 2, initialValue: args.adoptPasswords?.[role] },
        { parent: this },
      ).value;
    const adminPassword = pulumi.secret(password("admin"));
    const databasePassword = pulumi.secret(password("database"));
    const rabbitPassword = pulumi.secret(password("rabbit"));
    const servicePassword = pulumi.secret(password("service"));

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
    ) =>
      new command.remote.Command(
        `${name}-${stepName}`,
        {
          connection,
          create: asRootCommand(script),
          // These steps print no secrets (secrets arrive on stdin and are never echoed).
          logging: "stdoutAndStderr",
          ...extra,
        },
        { parent: this, dependsOn, customTimeouts: { create: timeout, update: timeout, delete: "30m" }, ...opts },
      );

    const precheck = step("precheck", scripts.precheck, "5m", []);
    const prepare = step("prepare", scripts.prepare, "20m", [precheck]);
    const clone = step("clone", scripts.clone, "20m", [prepare]);
    const localConf = step(
      "local-conf",
      scripts.localConf,
      "5m",
      [clone],
      {
        stdin: secretStdin(adminPassword, databasePassword, rabbitPassword, servicePassword),
        // The passwords are on stdin; output stays out of logs and is a secret in state, in case.
        logging: "none",
      },
      { additionalSecretOutputs: ["stdout", "stderr", "stdin"] },
    );
    const stack = step(
      "stack",
      scripts.stack,
      `${stackTimeoutMinutes}m`,
      [localConf],
      {
        delete: asRootCommand(scripts.stackDelete),
        triggers: [rebuild],
        // stdout goes to the log file on the host; stderr carries progress and, on failure, the
        // log's tail with passwords masked.
        logging: "stderr",
      },
      { additionalSecretOutputs: ["stdout", "stderr"], deleteBeforeReplace: true },
    );
    const afterStack: pulumi.Resource[] = [stack];
    if (scripts.nat) afterStack.push(step("nat", scripts.nat, "10m", [stack]));
    if (scripts.extraVolume) afterStack.push(step("extra-volume", scripts.extraVolume, "10m", [stack]));
    if (scripts.quotas) afterStack.push(step("quotas", scripts.quotas, "5m", [stack]));

    // tls-proxy: the CA chain DevStack made, read back after stack.sh; the provider verifies the
    // endpoints' certificates against it (never insecure).
    const caStep = scripts.caCertificate
      ? step("ca-certificate", scripts.caCertificate, "5m", [...afterStack], { logging: "stderr" })
      : undefined;
    if (caStep) afterStack.push(caStep);
    const caCertificate = caStep ? caStep.stdout : pulumi.output("");
    const endpoints = devstackEndpoints(settings.hostIp, settings.tlsProxy);
    const provider = new openstack.Provider(
      `${name}-provider`,
      {
        authUrl: endpoints.authUrl,
        userName: "admin",
        password: adminPassword,
        tenantName: "admin",
        userDomainName: "Default",
        projectDomainName: "Default",
        region: settings.region,
        // The provider takes the PEM itself as cacertFile (a path or the certificate's contents).
        cacertFile: caStep ? caCertificate : undefined,
      },
      { parent: this, dependsOn: afterStack },
    );
    providers.set(this, provider);

    const cloudOpts = { parent: this, provider, dependsOn: afterStack };
    const imageResources = images.map(
      (image) =>
        new openstack.images.Image(
          `${name}-image-${slug(image.name)}`,
          {
            name: image.name,
            imageSourceUrl: image.sourceUrl,
            containerFormat: "bare",
            diskFormat: image.diskFormat ?? "qcow2",
            visibility: image.visibility ?? "public",
          },
          cloudOpts,
        ),
    );
    const flavorResources = flavors.map(
      (flavor) =>
        new openstack.compute.Flavor(
          `${name}-flavor-${slug(flavor.name)}`,
          {
            name: flavor.name,
            vcpus: flavor.vcpus,
            ram: flavor.ramMiB,
            disk: flavor.diskGiB,
            isPublic: flavor.isPublic ?? true,
          },
          cloudOpts,
        ),
    );

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
    this.cloudsYaml = pulumi.secret(
      adminPassword.apply((pw) =>
        renderCloudsYaml({ cloudName, authUrl: endpoints.identityUrl, region: settings.region, password: pw }),
      ),
    );
    this.providerUrn = provider.urn;
    this.branch = pulumi.output(settings.branch);
    this.imageIds = pulumi.all(imageResources.map((r) => r.id));
    this.flavorIds = pulumi.all(flavorResources.map((r) => r.id));
    this.caCertificate = caCertificate;

    this.registerOutputs({
      dashboardUrl: this.dashboardUrl,
      identityUrl: this.identityUrl,
      authUrl: this.authUrl,
      region: this.region,
      adminUserName: this.adminUserName,
      adminProjectName: this.adminProjectName,
      userDomainName: this.userDomainName,
      projectDomainName: this.projectDomainName,
      adminPassword: this.adminPassword,
      cloudsYaml: this.cloudsYaml,
      providerUrn: this.providerUrn,
      branch: this.branch,
      imageIds: this.imageIds,
      flavorIds: this.flavorIds,
      caCertificate: this.caCertificate,
    });
  }
}
