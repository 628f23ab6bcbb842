import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { SecurityProfile } from "../network/security-profile";
import { GeneratedSecret } from "../secrets/generated-secret";
import { sessionReportTokenHash } from "../desktop/session-report";
import type { ThinClientDesktopPool } from "../desktop/thin-client-desktop-pool";
import { SelfServicePortalArgs, SelfServicePortalDesktopArgs } from "./self-service-portal-args";
import { planSelfServicePortal, portalAccessRules, portalUserData } from "./self-service-portal-plan";

export type {
  SelfServicePortalArgs,
  SelfServicePortalDesktopArgs,
  SelfServicePortalTlsArgs,
} from "./self-service-portal-args";

/**
 * A desktop pool's outputs as the portal's `desktops` (a secret: it carries the password hashes),
 * with each report token's hash when the pool has sessionReports (AutoStop).
 */
export function portalDesktopsFromPool(
  pool: ThinClientDesktopPool,
): pulumi.Output<Record<string, SelfServicePortalDesktopArgs>> {
  return pulumi.secret(
    pulumi
      .all([
        pool.desktops,
        pool.passwordHashes,
        pool.rdpFiles,
        pool.remminaProfiles,
        pool.jupyterUrls,
        pool.reportTokens,
      ])
      .apply(([desktops, hashes, rdp, remmina, jupyter, tokens]) =>
        Object.fromEntries(
          Object.entries(desktops).map(([employee, d]): [string, SelfServicePortalDesktopArgs] => [
            employee,
            {
              serverId: d.serverId,
              passwordHash: hashes[employee],
              address: d.address,
              hostname: d.hostname,
              rdpFile: rdp[employee] || undefined,
              remminaProfile: remmina[employee] || undefined,
              jupyterUrl: jupyter[employee] || undefined,
              reportTokenHash: tokens[employee] ? sessionReportTokenHash(tokens[employee]) : undefined,
            },
          ]),
        ),
      ),
  );
}

/**
 * The self-service portal (packages/portal) on a server next to a desktop pool: HTTPS (443) open
 * only to the thin clients' and admins' blocks, a Keystone application credential whose access
 * rules allow only the portal's calls on these desktops, and cloud-init that installs Node.js
 * from Debian's packages and the portal as a systemd service. See docs/desktop.md.
 */
export class SelfServicePortal extends pulumi.ComponentResource {
  /** https://<floating or fixed address>/ */
  public readonly url: pulumi.Output<string>;
  public readonly serverId: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** The application credential's id (its secret stays inside the server's user data). */
  public readonly applicationCredentialId: pulumi.Output<string>;

  constructor(name: string, args: SelfServicePortalArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every problem is reported before any resource (the portal included) is registered.
    const plan = planSelfServicePortal(name, args);
    super("openstack-blueprints:index:SelfServicePortal", name, {}, opts);

    const security = new SecurityProfile(
      plan.names.security,
      { rules: plan.securityRules, description: plan.securityDescription },
      { parent: this },
    );

    const desktops = pulumi.output(args.desktops);
    // Made by the stack's own dynamic provider (no pulumi-random plugin), kept secret in state.
    // Stacks whose secrets RandomPassword made get new ones at their first `up` with this
    // version (same names, new resource type): a new application credential, the server
    // rebuilt with them, signed-in users signed out once (docs/desktop.md).
    const credentialSecret = new GeneratedSecret(plan.names.credentialSecret, { length: 48 }, { parent: this });
    const sessionSecret = new GeneratedSecret(plan.names.sessionSecret, { length: 48 }, { parent: this });
    const credential = new openstack.identity.ApplicationCredential(
      plan.names.credential,
      {
        name: plan.credentialName,
        description: `Self-service portal ${name}: show, start, stop, shelve and unshelve its desktops only`,
        unrestricted: false,
        secret: credentialSecret.value,
        accessRules: desktops.apply((d) =>
          portalAccessRules(
            Object.values(d).map((x) => x.serverId),
            plan.computeApiPrefix,
            { listServers: args.poolName !== undefined },
          ),
        ),
      },
      { parent: this },
    );

    const port = new openstack.networking.Port(
      plan.names.port,
      {
        name: plan.serverName,
        networkId: args.networkId,
        fixedIps: args.subnetId
          ? [{ subnetId: args.subnetId, ...(args.fixedIp ? { ipAddress: args.fixedIp } : {}) }]
          : undefined,
        securityGroupIds: [security.securityGroupId],
        adminStateUp: true,
      },
      { parent: this },
    );

    const userData = pulumi
      .all([
        desktops,
        pulumi.output(args.admins ?? {}),
        pulumi.output(args.authUrl),
        credential.id,
        credentialSecret.value,
        sessionSecret.value,
        pulumi.output(args.tls.certificate),
        pulumi.output(args.tls.privateKey),
      ])
      .apply(([d, admins, authUrl, credentialId, secret, session, certificate, privateKey]) =>
        portalUserData({
          hostname: plan.serverName,
          portalPackage: plan.portalPackage,
          authUrl,
          regionName: args.regionName,
          applicationCredentialId: credentialId,
          applicationCredentialSecret: secret,
          sessionSecret: session,
          certificate,
          privateKey,
          desktops: d,
          poolName: args.poolName,
          admins,
          autoStopIdleMinutes: args.autoStopIdleMinutes,
          sessionMinutes: args.sessionMinutes,
          adminPublicKey: plan.ssh ? args.adminPublicKey : undefined,
        }),
      );

    const server = new openstack.compute.Instance(
      plan.names.server,
      {
        name: plan.serverName,
        flavorName: args.flavor,
        imageName: args.imageName,
        networks: [{ port: port.id }],
        // The credential's and the session's secrets, the key and the hashes are in here
        // (gzipped and base64: the provider passes it to Nova as it is).
        userData: pulumi.secret(userData),
      },
      { parent: this },
    );

    let address: pulumi.Output<string> = port.allFixedIps.apply((ips) => ips[0] ?? "");
    if (args.floatingIpPool) {
      const fip = new openstack.networking.FloatingIp(
        plan.names.floatingIp,
        { pool: args.floatingIpPool, portId: port.id, description: `Self-service portal ${name}` },
        // Neutron refuses a floating IP on a port whose subnet has no router interface yet, and
        // children do not inherit a component's dependsOn: give the portal { dependsOn: [pool] }.
        { parent: this, dependsOn: opts?.dependsOn ?? [] },
      );
      address = fip.address;
    }

    this.url = pulumi.interpolate`https://${address}/`;
    this.serverId = server.id;
    this.securityGroupId = security.securityGroupId;
    this.applicationCredentialId = credential.id;
    this.registerOutputs({
      url: this.url,
      serverId: this.serverId,
      securityGroupId: this.securityGroupId,
      applicationCredentialId: this.applicationCredentialId,
    });
  }
}
