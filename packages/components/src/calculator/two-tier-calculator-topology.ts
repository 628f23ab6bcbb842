import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PrivateNetwork } from "../network/private-network";
import { SecurityProfile } from "../network/security-profile";
import { renderCalculatorUserData } from "./calculator-user-data";
import { FrontendReadiness } from "./frontend-readiness";
import { TwoTierCalculatorTopologyArgs } from "./two-tier-calculator-args";
import { planTwoTierCalculator } from "./two-tier-calculator-plan";

// The args are declared in their own module; importers of the component find them here too.
export type {
  CalculatorServiceIpsArgs,
  CalculatorServicePortsArgs,
  TwoTierCalculatorTopologyArgs,
} from "./two-tier-calculator-args";

/**
 * A lab's two-tier calculator, working the first time: a front end on Net1 behind a
 * floating IP (RT1 joins Net1 to the external network) calling Sum/Sub/Mul/Div on Net2 at
 * fixed IPs (RT2 joins Net1 and Net2). Net1's subnet hands the route to Net2 out by DHCP, so no
 * one runs `ip route add` by hand; each server runs its service under systemd.
 */
export class TwoTierCalculatorTopology extends pulumi.ComponentResource {
  /** http://<floating IP>:<front end port> */
  public readonly publicUrl: pulumi.Output<string>;
  public readonly floatingIp: pulumi.Output<string>;
  public readonly frontendIp: pulumi.Output<string>;
  /** Fixed IP of each service, keyed sum/sub/mul/div. */
  public readonly serviceIps: pulumi.Output<Record<string, string>>;
  /** URL the front end calls for each service. */
  public readonly serviceUrls: pulumi.Output<Record<string, string>>;
  public readonly outerRouterId: pulumi.Output<string>;
  public readonly innerRouterId: pulumi.Output<string>;
  public readonly frontendNetworkId: pulumi.Output<string>;
  public readonly frontendSubnetId: pulumi.Output<string>;
  public readonly serviceNetworkId: pulumi.Output<string>;
  public readonly serviceSubnetId: pulumi.Output<string>;
  /** Instance IDs keyed frontend/sum/sub/mul/div. */
  public readonly instanceIds: pulumi.Output<Record<string, string>>;
  /** True once `up` saw the front end compute through every service; false when not checked. */
  public readonly frontendReady: pulumi.Output<boolean>;
  /** What the readiness check saw, e.g. "answered: (4+5)*3-10/2 = 22 after 143 s". */
  public readonly frontendReadiness: pulumi.Output<string>;

  constructor(name: string, args: TwoTierCalculatorTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything (and render the user data) before anything is registered, the component included.
    const component = `TwoTierCalculatorTopology ${name}`;
    // Every problem with the args is reported at once, in one ComponentArgsError.
    const plan = planTwoTierCalculator(component, args);
    // Rendered up front: a bundle missing or user data too large fails before any resource.
    const userData = new Map(plan.servers.map((s) => [s.role, renderCalculatorUserData(plan, s)]));
    // Neutron's zones for both networks and both routers (their DHCP and L3 agents).
    const networkZones = plan.networkAvailabilityZoneHints.length > 0 ? plan.networkAvailabilityZoneHints : undefined;
    super("openstack-blueprints:index:TwoTierCalculatorTopology", name, {}, opts);

    const frontendNet = new PrivateNetwork(
      `${name}-net1`,
      {
        cidr: plan.frontendSubnet.cidr,
        gatewayIp: plan.frontendSubnet.gatewayIp,
        allocationPools: plan.frontendSubnet.allocationPools,
        hostRoutes: plan.frontendSubnet.hostRoutes,
        dnsNameservers: args.dnsNameservers,
        externalNetworkName: args.externalNetworkName,
        networkName: `${name}-net1`,
        availabilityZoneHints: networkZones,
      },
      { parent: this },
    );

    const innerRouter = new openstack.networking.Router(
      `${name}-rt2`,
      {
        name: `${name}-rt2`,
        adminStateUp: true,
        availabilityZoneHints: networkZones,
        // serviceEgressRouter "inner": RT2 SNATs Net2 itself (ML2/OVN does not SNAT it on RT1 by default).
        ...(plan.innerRouterExternalGateway
          ? {
              externalNetworkId: openstack.networking.getNetworkOutput(
                { name: args.externalNetworkName, external: true },
                { parent: this },
              ).id,
            }
          : {}),
      },
      { parent: this },
    );

    const serviceNet = new PrivateNetwork(
      `${name}-net2`,
      {
        cidr: plan.serviceSubnet.cidr,
        gatewayIp: plan.serviceSubnet.gatewayIp,
        allocationPools: plan.serviceSubnet.allocationPools,
        dnsNameservers: args.dnsNameservers,
        existingRouterId: innerRouter.id,
        networkName: `${name}-net2`,
        availabilityZoneHints: networkZones,
      },
      { parent: this },
    );

    // RT2 on Net1 at a chosen address: the host route's next hop must be known in advance.
    const innerRouterFrontendPort = new openstack.networking.Port(
      `${name}-rt2-net1-port`,
      {
        name: `${name}-rt2-net1`,
        networkId: frontendNet.networkId,
        fixedIps: [{ subnetId: frontendNet.subnetId, ipAddress: plan.innerRouterFrontendIp }],
      },
      { parent: this },
    );
    const innerRouterFrontendInterface = new openstack.networking.RouterInterface(
      `${name}-rt2-net1-interface`,
      {
        routerId: innerRouter.id,
        portId: innerRouterFrontendPort.id,
      },
      { parent: this },
    );

    const routerRoutes: pulumi.Resource[] = [];
    for (const route of plan.routerRoutes) {
      const routeName = route.router === "inner" ? `${name}-rt2-route-default` : `${name}-rt1-route-net2`;
      routerRoutes.push(
        new openstack.networking.RouterRoute(
          routeName,
          {
            routerId: route.router === "inner" ? innerRouter.id : frontendNet.routerId,
            destinationCidr: route.destinationCidr,
            nextHop: route.nextHop,
          },
          { parent: this, dependsOn: [frontendNet, serviceNet, innerRouterFrontendInterface] },
        ),
      );
    }

    const frontendSecurity = new SecurityProfile(
      `${name}-frontend-sg`,
      {
        groupName: `${name}-frontend`,
        rules: plan.frontendRules.map((r) => ({
          protocol: r.protocol,
          port: r.port,
          remoteCidr: r.remoteCidr,
          description: r.description,
        })),
      },
      { parent: this },
    );
    const serviceSecurity = new SecurityProfile(
      `${name}-services-sg`,
      {
        groupName: `${name}-services`,
        rules: plan.serviceRules.map((r) => ({
          protocol: r.protocol,
          port: r.port,
          remoteCidr: r.remoteCidr,
          description: r.description,
        })),
      },
      { parent: this },
    );

    // Servers boot after their networks, routes and router interfaces exist, so cloud-init
    // reaches the package mirror and the DHCP lease already carries the host route.
    const networkReady: pulumi.Resource[] = [frontendNet, serviceNet, innerRouterFrontendInterface, ...routerRoutes];
    const instances: Record<string, openstack.compute.Instance> = {};
    const ports: Record<string, openstack.networking.Port> = {};
    for (const server of plan.servers) {
      const onFrontend = server.network === "frontend";
      const net = onFrontend ? frontendNet : serviceNet;
      const port = new openstack.networking.Port(
        `${name}-${server.role}-port`,
        {
          name: `${name}-${server.role}`,
          networkId: net.networkId,
          fixedIps: [{ subnetId: net.subnetId, ipAddress: server.ip }],
          securityGroupIds: [(onFrontend ? frontendSecurity : serviceSecurity).securityGroupId],
        },
        { parent: this },
      );
      ports[server.role] = port;
      instances[server.role] = new openstack.compute.Instance(
        `${name}-${server.role}`,
        {
          name: `${name}-${server.role}`,
          imageName: args.imageName,
          flavorName: args.flavorName,
          availabilityZone: plan.availabilityZone,
          keyPair: args.keyPairName,
          userData: userData.get(server.role)!,
          networks: [{ port: port.id }],
          // On a pre-made port: delete the old server first, or Nova refuses the new one (port in use).
        },
        { parent: this, dependsOn: networkReady, deleteBeforeReplace: true },
      );
    }

    const floatingIp = new openstack.networking.FloatingIp(
      `${name}-frontend-fip`,
      {
        pool: args.externalNetworkName,
        description: `${name} calculator front end`,
      },
      { parent: this },
    );
    // Depends on Net1's component: the association needs RT1's interface on Net1 to exist.
    const floatingIpAssociation = new openstack.networking.FloatingIpAssociate(
      `${name}-frontend-fip-assoc`,
      {
        floatingIp: floatingIp.address,
        portId: ports.frontend.id,
      },
      { parent: this, dependsOn: [frontendNet] },
    );

    const frontendServer = plan.servers.find((s) => s.role === "frontend")!;
    this.floatingIp = floatingIp.address;
    this.publicUrl = pulumi.interpolate`http://${floatingIp.address}:${frontendServer.port}`;
    this.frontendIp = pulumi.output(frontendServer.ip);
    this.serviceIps = pulumi.output(
      Object.fromEntries(plan.servers.filter((s) => s.network === "service").map((s) => [s.role, s.ip])),
    );
    this.serviceUrls = pulumi.output<Record<string, string>>({ ...plan.serviceUrls });
    this.outerRouterId = frontendNet.routerId;
    this.innerRouterId = innerRouter.id;
    this.frontendNetworkId = frontendNet.networkId;
    this.frontendSubnetId = frontendNet.subnetId;
    this.serviceNetworkId = serviceNet.networkId;
    this.serviceSubnetId = serviceNet.subnetId;
    this.instanceIds = pulumi.all(Object.fromEntries(Object.entries(instances).map(([role, i]) => [role, i.id])));

    // Last: `up` succeeds only once the front end computes through every service (Heat's
    // WaitCondition). Everything on the path is a dependency, so the check starts when it can pass.
    if (plan.readiness) {
      const readiness = new FrontendReadiness(
        `${name}-frontend-ready`,
        {
          url: this.publicUrl,
          expression: plan.readiness.expression,
          expected: plan.readiness.expected,
          timeoutSeconds: plan.readiness.timeoutSeconds,
          servers: this.instanceIds,
          ...(plan.readiness.hint ? { hint: plan.readiness.hint } : {}),
        },
        {
          parent: this,
          dependsOn: [
            ...Object.values(instances),
            floatingIpAssociation,
            ...networkReady,
            serviceSecurity,
            frontendSecurity,
          ],
          customTimeouts: { create: `${plan.readiness.timeoutSeconds + 120}s` },
        },
      );
      this.frontendReady = readiness.report.apply((r) => typeof r === "string" && r.startsWith("answered"));
      this.frontendReadiness = readiness.report;
    } else {
      this.frontendReady = pulumi.output(false);
      this.frontendReadiness = pulumi.output("not checked (frontendReadinessTimeoutSeconds is 0)");
    }
    this.registerOutputs({
      publicUrl: this.publicUrl,
      floatingIp: this.floatingIp,
      frontendIp: this.frontendIp,
      serviceIps: this.serviceIps,
      serviceUrls: this.serviceUrls,
      outerRouterId: this.outerRouterId,
      innerRouterId: this.innerRouterId,
      frontendNetworkId: this.frontendNetworkId,
      frontendSubnetId: this.frontendSubnetId,
      serviceNetworkId: this.serviceNetworkId,
      serviceSubnetId: this.serviceSubnetId,
      instanceIds: this.instanceIds,
      frontendReady: this.frontendReady,
      frontendReadiness: this.frontendReadiness,
    });
  }
}
