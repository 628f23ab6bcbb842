import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import { PrivateNetwork } from "../network/private-network";
import { SecurityProfile } from "../network/security-profile";
import { DesktopCredential } from "./desktop-credential";
import { XrdpCertificate } from "./xrdp-certificate";
import { declareWithoutPromiseStackTraces } from "../pulumi/lean-registration";
import {
  DesktopConnection,
  jupyterUrl,
  renderConnectionSheet,
  renderJupyterConnectionSheet,
  renderRdpFile,
  renderRemminaProfile,
} from "./thin-client-artifacts";
import { ThinClientDesktopPoolArgs } from "./thin-client-desktop-pool-args";
import type { NovaAbsoluteLimits } from "./quota";
import { gpuFlavorProblem, PCI_ALIAS_EXTRA_SPEC } from "./gpu-workstations";
import { ArgsProblems } from "../errors";
// The args are declared in their own module; importers of the component find them here too.
export type {
  DesktopComputeHostArgs,
  DesktopGpuArgs,
  DesktopEmployeeArgs,
  DesktopFlavorSizeArgs,
  ThinClientDesktopPoolArgs,
} from "./thin-client-desktop-pool-args";
import {
  checkLiveQuota,
  DesktopPoolPlan,
  planThinClientDesktopPool,
  renderPlannedUserData,
} from "./thin-client-desktop-pool-plan";

/** What the pool's children give its outputs. */
interface PoolChildren {
  desktops: pulumi.Output<Record<string, DesktopInfo>>;
  passwords: pulumi.Output<Record<string, string>>;
  passwordHashes: pulumi.Output<Record<string, string>>;
  reportTokens: pulumi.Output<Record<string, string>>;
  tlsFingerprints: pulumi.Output<Record<string, string>>;
  securityGroupId: pulumi.Output<string>;
  networkId: pulumi.Output<string>;
}

/**
 * checkQuota "live": the project's compute limits and use (Nova's GET /limits) and the sizes of
 * the flavors not given in flavorSizes, through the pool's OpenStack provider (read-only invokes,
 * run in preview too); rejects with the shortfall before any child exists.
 */
async function liveQuotaCheck(plan: DesktopPoolPlan, parent: pulumi.Resource): Promise<void> {
  const live = plan.liveQuota!;
  const opts = { parent };
  const scope = await openstack.identity.getAuthScope({ name: "current" }, opts);
  // Cinder's quota set (a member may read its own project's) when the pool makes volumes.
  const makesVolumes = plan.homeVolumes !== undefined || plan.bootVolumeSizeGiB !== undefined;
  const [nova, cinder, ...flavors] = await Promise.all([
    novaLimits(scope.projectId, opts),
    makesVolumes ? openstack.blockstorage.getQuotasetV3({ projectId: scope.projectId }, opts) : undefined,
    ...live.lookUpFlavors.map((flavor) => openstack.compute.getFlavor({ name: flavor }, opts)),
  ]);
  const looked = live.lookUpFlavors.map((flavor, i) => {
    const f = flavors[i] as openstack.compute.GetFlavorResult;
    return { name: flavor, vcpus: f.vcpus ?? 0, ramMiB: f.ram ?? 0 };
  });
  const cinderQuota = cinder as openstack.blockstorage.GetQuotasetV3Result | undefined;
  checkLiveQuota(
    plan,
    nova as NovaAbsoluteLimits,
    [...live.flavorSizes, ...looked],
    cinderQuota
      ? {
          volumes: cinderQuota.volumes,
          gigabytes: cinderQuota.gigabytes,
          perVolumeGigabytes: cinderQuota.perVolumeGigabytes,
        }
      : undefined,
  );
}

/**
 * gpu.flavor: the existing GPU flavor, looked up through the pool's provider (read-only, in
 * preview too), must ask for the plan's devices; rejects naming the flavor and the fix before any
 * child exists. Without the extra spec Nova would boot the workstations without a GPU.
 */
async function gpuFlavorCheck(plan: DesktopPoolPlan, parent: pulumi.Resource): Promise<void> {
  const gpu = plan.gpu!;
  const flavor = await openstack.compute.getFlavor({ name: gpu.existingFlavor }, { parent });
  const problem = gpuFlavorProblem(gpu, flavor.extraSpecs);
  if (problem === undefined) return;
  const problems = new ArgsProblems(plan.component);
  problems.add("gpu.flavor", gpu.existingFlavor, `${problem} (nothing was created)`);
  problems.throwIfAny();
}

/**
 * Nova's limits and use of the project (GET /limits). The provider's getLimitsV2 always names the
 * project (?tenant_id=), which Nova's policy os_compute_api:limits:other_project keeps for admins,
 * even for one's own project (minicloud's member gets 403). A member can still read the project's
 * quota set (os-quota-sets:show), without the use: the check then counts only the pool.
 */
async function novaLimits(projectId: string, opts: pulumi.InvokeOptions): Promise<NovaAbsoluteLimits> {
  try {
    return await openstack.compute.getLimitsV2({ projectId }, opts);
  } catch (refused) {
    // The invoke's error does not always carry Nova's answer (403): try the quota set either
    // way, and report the first error if that fails too.
    const q = await openstack.compute.getQuotaSetV2({ projectId }, opts).catch(() => {
      throw refused;
    });
    return { maxTotalInstances: q.instances, maxTotalCores: q.cores, maxTotalRamSize: q.ram };
  }
}

/** What the admin and the thin clients need for one desktop. */
export interface DesktopInfo {
  employee: string;
  hostname: string;
  serverId: string;
  fixedIp: string;
  floatingIp: string;
  /** The address thin clients dial: the floating IP when there is one, else the fixed IP. */
  address: string;
  powerState: string;
  flavor: string;
  /** With homeVolumes: the Cinder volume holding the employee's /home; "" without. */
  homeVolumeId: string;
}

/**
 * A desktop per employee on OpenStack, reached over RDP (xrdp + xfce) from thin clients: per
 * employee a generated password (a Pulumi secret, delivered to the guest only as a SHA-512 crypt
 * hash made once by the DesktopCredential provider), a port in the pool's security group, a
 * server with its power state, optionally a floating IP on that port; per pool a security group (RDP and ICMP only from the thin clients, SSH only from
 * an admin block with a key), optionally a network and an uploaded image. See docs/desktop.md.
 */
export class ThinClientDesktopPool extends pulumi.ComponentResource {
  /** Per employee: server, addresses, state. */
  public readonly desktops: pulumi.Output<Record<string, DesktopInfo>>;
  /** Per employee: the generated password (secret). */
  public readonly passwords: pulumi.Output<Record<string, string>>;
  /**
   * Per employee: the password's hash as the guest got it (secret): SHA-512 crypt for desktops,
   * Jupyter's sha512:salt:hex for notebooks. The self-service portal checks sign-ins with it, so it
   * never needs the passwords themselves.
   */
  public readonly passwordHashes: pulumi.Output<Record<string, string>>;
  /**
   * Per employee, with sessionReports: the token the guest reports its sessions with (secret; the
   * portal's config takes its hash, `portalDesktopsFromPool` does that). Empty without.
   */
  public readonly reportTokens: pulumi.Output<Record<string, string>>;
  /**
   * Per employee (desktops): the SHA-256 fingerprint ("AB:CD:…") of the desktop's own xrdp TLS
   * certificate, made by the pool before the desktop boots; thin clients pin it. Empty for notebooks.
   */
  public readonly tlsFingerprints: pulumi.Output<Record<string, string>>;
  /** Per employee: a .rdp file (no password). */
  public readonly rdpFiles: pulumi.Output<Record<string, string>>;
  /** Per employee: a Remmina profile (no password). */
  public readonly remminaProfiles: pulumi.Output<Record<string, string>>;
  /** Per employee, for workspace "jupyter": the server's address (https://…:port/); empty for desktops. */
  public readonly jupyterUrls: pulumi.Output<Record<string, string>>;
  /** The admin's connection sheet (Markdown, no passwords). */
  public readonly connectionSheet: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly networkId: pulumi.Output<string>;
  /** The capacity check's summary, or "" when no compute hosts were declared. */
  public readonly capacitySummary: pulumi.Output<string>;

  constructor(name: string, args: ThinClientDesktopPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything is checked, and every child decided, before any resource (the pool included).
    const plan = planThinClientDesktopPool(name, args);
    super("openstack-blueprints:index:ThinClientDesktopPool", name, {}, opts);
    const jupyter = plan.workspace === "jupyter";
    const jupyterPort = plan.jupyterPort;
    if (!plan.homeVolumes && plan.desktops.length > 0) {
      // Said at every preview: a rebuild is a `replace` of a -desktop server in the same preview,
      // easy to take for a harmless change.
      void pulumi.log.warn(
        `the employees' homes are on their desktops' root disks: a desktop rebuilt (a password rotation, another image, ` +
          `a changed extraPackages or session setting: 'replace' of its -desktop server in the preview) loses ` +
          `everything its employee saved. Set homeVolumes (e.g. { sizeGiB: 20 }) to keep each /home on a Cinder volume; see docs/desktop.md.`,
        this,
      );
    }

    // checkQuota "live": the children are declared only once the project's real limits are read
    // and hold the pool; a shortfall rejects here, before any child (no network, no server).
    // So does an existing GPU flavor without the extra spec (gpu.flavor).
    const checks: (() => Promise<void>)[] = [];
    if (plan.liveQuota) checks.push(() => liveQuotaCheck(plan, this));
    if (plan.gpu?.existingFlavor !== undefined) checks.push(() => gpuFlavorCheck(plan, this));
    let children: PoolChildren;
    if (checks.length > 0) {
      const ready = Promise.all(checks.map((check) => check())).then(() =>
        this.declareChildren(name, plan, args, opts),
      );
      children = {
        desktops: pulumi.output(ready.then((c) => c.desktops)) as pulumi.Output<Record<string, DesktopInfo>>,
        passwords: pulumi.output(ready.then((c) => c.passwords)) as pulumi.Output<Record<string, string>>,
        passwordHashes: pulumi.output(ready.then((c) => c.passwordHashes)) as pulumi.Output<Record<string, string>>,
        reportTokens: pulumi.output(ready.then((c) => c.reportTokens)) as pulumi.Output<Record<string, string>>,
        tlsFingerprints: pulumi.output(ready.then((c) => c.tlsFingerprints)) as pulumi.Output<Record<string, string>>,
        securityGroupId: pulumi.output(ready.then((c) => c.securityGroupId)),
        networkId: pulumi.output(ready.then((c) => c.networkId)),
      };
    } else {
      children = this.declareChildren(name, plan, args, opts);
    }

    this.desktops = children.desktops;
    this.passwords = pulumi.secret(children.passwords);
    this.passwordHashes = pulumi.secret(children.passwordHashes);
    this.reportTokens = pulumi.secret(children.reportTokens);
    this.tlsFingerprints = children.tlsFingerprints;
    const connections = pulumi.all([this.desktops, this.tlsFingerprints]).apply(([all, fingerprints]) =>
      plan.desktops.map(({ employee: e }): DesktopConnection => ({
        user: e.name,
        fullName: e.fullName,
        address: all[e.name].address || "(no address yet)",
        desktop: all[e.name].hostname,
        powerState: all[e.name].powerState,
        tlsFingerprintSha256: fingerprints[e.name],
      })),
    );
    this.rdpFiles = connections.apply((list) =>
      jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, renderRdpFile(c)])),
    );
    this.remminaProfiles = connections.apply((list) =>
      jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, renderRemminaProfile(c)])),
    );
    this.jupyterUrls = connections.apply((list) =>
      !jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, jupyterUrl(c.address, jupyterPort)])),
    );
    this.connectionSheet = connections.apply((list) =>
      jupyter ? renderJupyterConnectionSheet(name, list, jupyterPort) : renderConnectionSheet(name, list),
    );
    this.securityGroupId = children.securityGroupId;
    this.networkId = children.networkId;
    this.capacitySummary = pulumi.output(plan.capacitySummary);
    this.registerOutputs({
      desktops: this.desktops,
      passwords: this.passwords,
      passwordHashes: this.passwordHashes,
      reportTokens: this.reportTokens,
      tlsFingerprints: this.tlsFingerprints,
      rdpFiles: this.rdpFiles,
      remminaProfiles: this.remminaProfiles,
      jupyterUrls: this.jupyterUrls,
      connectionSheet: this.connectionSheet,
      securityGroupId: this.securityGroupId,
      networkId: this.networkId,
      capacitySummary: this.capacitySummary,
    });
  }

  /** Every child of the pool, as the plan decided them. */
  private declareChildren(
    name: string,
    plan: DesktopPoolPlan,
    args: ThinClientDesktopPoolArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): PoolChildren {
    // ---- pool-level resources ----
    let network: PrivateNetwork | undefined;
    let networkId: pulumi.Input<string>;
    let subnetId: pulumi.Input<string> | undefined = args.subnetId;
    if (plan.network) {
      network = new PrivateNetwork(plan.network.resourceName, plan.network.args, { parent: this });
      networkId = network.networkId;
      subnetId = network.subnetId;
    } else {
      networkId = args.networkId!;
    }

    const security = new SecurityProfile(
      plan.securityProfileName,
      { rules: plan.securityRules, description: plan.securityDescription },
      { parent: this },
    );

    let imageId: pulumi.Input<string> | undefined = args.imageId;
    if (plan.image.kind === "upload") {
      const image = new openstack.images.Image(
        plan.image.resourceName,
        {
          name: plan.image.glanceName,
          imageSourceUrl: plan.image.url,
          webDownload: true,
          containerFormat: "bare",
          diskFormat: plan.image.diskFormat,
          visibility: "private",
        },
        { parent: this },
      );
      imageId = image.id;
    } else if (plan.image.kind === "name" && plan.image.lookUpId) {
      // A boot volume is made from an image ID; look the name up once for the pool.
      imageId = openstack.images.getImageOutput({ name: plan.image.name, mostRecent: true }, { parent: this }).id;
    }
    // GPU workstations: the pool's own GPU flavor (the base flavor's size plus the PCI alias),
    // private to the pool's project, or the existing one checked before any child.
    let gpuFlavorName: pulumi.Input<string> | undefined = plan.gpu?.existingFlavor;
    if (plan.gpu?.make) {
      const make = plan.gpu.make;
      const base = openstack.compute.getFlavorOutput({ name: make.baseFlavor }, { parent: this });
      const gpuFlavor = new openstack.compute.Flavor(
        make.resourceName,
        {
          name: make.flavorName,
          // The lookup always returns them (they are optional only as lookup filters).
          vcpus: base.apply((b) => b.vcpus as number),
          ram: base.apply((b) => b.ram as number),
          disk: base.apply((b) => b.disk as number),
          isPublic: false,
          extraSpecs: { [PCI_ALIAS_EXTRA_SPEC]: plan.gpu.extraSpec },
          description: `GPU workstation of pool ${name}: ${make.baseFlavor} with ${plan.gpu.count} "${plan.gpu.alias}" PCI device(s)`,
        },
        { parent: this },
      );
      // A private flavor is usable only by the projects given access (Nova does not add its creator's).
      const scope = openstack.identity.getAuthScopeOutput({ name: "current" }, { parent: this });
      const access = new openstack.compute.FlavorAccess(
        make.accessResourceName,
        { flavorId: gpuFlavor.id, tenantId: scope.projectId },
        { parent: this },
      );
      gpuFlavorName = pulumi.all([gpuFlavor.name, access.id]).apply(([flavorName]) => flavorName);
    }

    const bootVolumeSizeGiB = plan.bootVolumeSizeGiB;
    // With a block device mapping (boot or home volume) the image is named by ID (looked up above).
    const imageName =
      plan.image.kind === "name" && bootVolumeSizeGiB === undefined && plan.homeVolumes === undefined
        ? plan.image.name
        : undefined;

    // What makes the desktops' subnet routed to the external network: our own PrivateNetwork, or,
    // on an existing network, whatever the pool was told to depend on (e.g. the PrivateNetwork of
    // another block). Children do not inherit a component's dependsOn, and Neutron refuses a
    // floating IP on a port whose subnet has no router interface yet.
    const routedBy: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> = network
      ? [network]
      : (opts?.dependsOn ?? []);

    // ---- per-employee resources: named <pool>-<employee>-…, so each employee's set is independent ----
    const infos: Record<string, pulumi.Output<DesktopInfo>> = {};
    const passwords: Record<string, pulumi.Output<string>> = {};
    const passwordHashes: Record<string, pulumi.Output<string>> = {};
    const reportTokens: Record<string, pulumi.Output<string>> = {};
    const tlsFingerprints: Record<string, pulumi.Output<string>> = {};
    // Many children with ~100 output properties between them per desktop: see lean-registration.ts.
    declareWithoutPromiseStackTraces(() => {
      for (const desktop of plan.desktops) {
        const { employee, hostname, names } = desktop;
        // Password and its hash, made once by the provider and kept in state (secret); with
        // sessionReports (AutoStop) also the guest's own report token. Turning sessionReports on
        // or off updates the credential in place: the employee's password stays.
        const credential = new DesktopCredential(
          names.credential,
          {
            user: employee.name,
            length: plan.passwordLength,
            rotation: employee.passwordRotation,
            hashScheme: plan.hashScheme,
            withReportToken: plan.sessionReports !== undefined,
          },
          { parent: this },
        );
        const reportToken = plan.sessionReports ? credential.reportToken : undefined;
        // Desktops: the xrdp TLS key and certificate, made once and kept (the key secret), so the
        // fingerprint is known here and printed on the sheet before the guest boots.
        const tls = plan.tlsCertificate
          ? new XrdpCertificate(
              names.tlsCertificate,
              { hostname, validityDays: plan.tlsCertificate.validityDays, rotation: plan.tlsCertificate.rotation },
              { parent: this },
            )
          : undefined;
        // The employee's /home: a volume of its own, which the server below only attaches, so a
        // replaced server boots with the same home. retainOnDelete: removing the employee (or
        // destroying the pool) leaves the volume, and their files, in Cinder; the preview lists it
        // as deleted, but Pulumi only forgets it. A later volumeType or zone applies to new
        // volumes only: a change would otherwise replace every home with a blank one.
        const homeVolume = plan.homeVolumes
          ? new openstack.blockstorage.Volume(
              names.homeVolume,
              {
                name: desktop.homeVolumeName,
                description: `home of ${employee.name} (desktop pool ${name}); kept when the desktop is rebuilt`,
                size: plan.homeVolumes.sizeGiB,
                volumeType: plan.homeVolumes.volumeType,
                availabilityZone: plan.homeVolumes.availabilityZone,
                // Growing sizeGiB extends the volume while it is attached (Cinder 3.42+).
                enableOnlineResize: true,
                metadata: { "blueprints-pool": name, "blueprints-employee": employee.name },
              },
              { parent: this, retainOnDelete: true, ignoreChanges: ["availabilityZone", "volumeType"] },
            )
          : undefined;
        // Secret: it carries the hash (the report token, the TLS key), and Pulumi must never show it in plain
        // state or previews.
        const userData = pulumi.secret(
          pulumi
            .all([credential.passwordHash, reportToken, homeVolume?.id, tls?.certificatePem, tls?.privateKeyPem])
            .apply(([hash, token, volumeId, certificatePem, privateKeyPem]) =>
              renderPlannedUserData(
                plan,
                desktop,
                hash,
                token,
                volumeId,
                certificatePem !== undefined && privateKeyPem !== undefined
                  ? { certificatePem, privateKeyPem }
                  : undefined,
              ),
            ),
        );
        const port = new openstack.networking.Port(
          names.port,
          {
            name: `${hostname}-port`,
            networkId,
            fixedIps: subnetId !== undefined ? [{ subnetId }] : undefined,
            securityGroupIds: [security.securityGroupId],
            adminStateUp: true,
          },
          // Only the network and subnet (its inputs): a port needs no router, and waiting for the
          // router and its interface too held every port back by their create time (the server
          // below still waits for them).
          { parent: this },
        );
        // The home volume is attached at boot (a block device mapping), not hot-plugged afterwards
        // (a VolumeAttach): the guest mounts it at /home in cloud-init's bootcmd, before the users
        // module makes the employee's home; a disk arriving after boot would race that. Nova
        // detaches it when the server is deleted (deleteOnTermination false), before the
        // replacement is made (deleteBeforeReplace below), so the new server can take it.
        const blockDevices: openstack.types.input.compute.InstanceBlockDevice[] = [];
        if (bootVolumeSizeGiB !== undefined) {
          blockDevices.push({
            uuid: imageId!,
            sourceType: "image",
            destinationType: "volume",
            volumeSize: bootVolumeSizeGiB,
            bootIndex: 0,
            deleteOnTermination: true,
          });
        } else if (homeVolume) {
          // With any mapping, Nova boots from the mapping: the image's local root disk is one too.
          blockDevices.push({
            uuid: imageId!,
            sourceType: "image",
            destinationType: "local",
            bootIndex: 0,
            deleteOnTermination: true,
          });
        }
        if (homeVolume) {
          blockDevices.push({
            uuid: homeVolume.id,
            sourceType: "volume",
            destinationType: "volume",
            // Not a boot disk (the provider's default boot index is 0).
            bootIndex: -1,
            deleteOnTermination: false,
          });
        }
        const server = new openstack.compute.Instance(
          names.server,
          {
            name: hostname,
            flavorName: desktop.gpu ? gpuFlavorName! : employee.flavor,
            availabilityZone: desktop.gpu ? plan.gpu!.availabilityZone : plan.availabilityZone,
            imageName,
            imageId: bootVolumeSizeGiB === undefined ? imageId : undefined,
            blockDevices: blockDevices.length > 0 ? blockDevices : undefined,
            networks: [{ port: port.id }],
            userData,
            powerState: employee.powerState,
            metadata: { "blueprints-pool": name, "blueprints-employee": employee.name },
            // The server sits on a port made beforehand: a replacement made before the old server is
            // deleted would ask Nova for a port that the old one still holds (409 port in use).
          },
          // It waits for the whole network (router interface included), as it did through its port:
          // the guest's first boot reaches the metadata service and the internet through the router.
          { parent: this, deleteBeforeReplace: true, dependsOn: network ? [network] : [] },
        );

        let floatingIp: pulumi.Output<string> = pulumi.output("");
        if (plan.floatingIpPool !== undefined) {
          // Allocated and associated with the port in one resource (Neutron's POST /floatingips
          // takes port_id). Neutron refuses the association until the router interface of the
          // port's subnet exists: hence the dependency on the network.
          const fip = new openstack.networking.FloatingIp(
            names.floatingIp,
            {
              pool: plan.floatingIpPool,
              portId: port.id,
              description: `desktop of ${employee.name} (pool ${name})`,
            },
            { parent: this, dependsOn: routedBy },
          );
          floatingIp = fip.address;
        }
        const fixedIp = port.allFixedIps.apply((ips) => ips[0] ?? "");
        infos[employee.name] = pulumi
          .all([server.id, fixedIp, floatingIp, server.powerState, homeVolume?.id ?? ""])
          .apply(([serverId, fixed, floating, state, homeVolumeId]) => ({
            employee: employee.name,
            hostname,
            serverId,
            fixedIp: fixed,
            floatingIp: floating,
            address: floating || fixed,
            powerState: state ?? employee.powerState,
            flavor: desktop.gpu ? (plan.gpu?.make?.flavorName ?? employee.flavor) : employee.flavor,
            homeVolumeId,
          }));
        passwords[employee.name] = credential.password;
        passwordHashes[employee.name] = credential.passwordHash;
        // Present whenever withReportToken is (the user data above fails naming it otherwise).
        if (reportToken) reportTokens[employee.name] = reportToken as pulumi.Output<string>;
        if (tls) tlsFingerprints[employee.name] = tls.fingerprintSha256;
      }
    });

    return {
      desktops: pulumi.all(infos),
      passwords: pulumi.secret(pulumi.all(passwords)),
      passwordHashes: pulumi.secret(pulumi.all(passwordHashes)),
      reportTokens: pulumi.secret(pulumi.all(reportTokens)),
      tlsFingerprints: pulumi.all(tlsFingerprints),
      securityGroupId: security.securityGroupId,
      networkId: pulumi.output(networkId),
    };
  }
}
