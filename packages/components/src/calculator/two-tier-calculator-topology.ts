import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PrivateNetwork } from "../network/private-network";
import { SecurityProfile } from "../network/security-profile";
import { renderCalculatorUserData } from "./calculator-user-data";
import { planTwoTierCalculator } from "./two-tier-calculator-plan";

/** Per-service values (fixed IPs, ports) keyed by operation. */
export interface CalculatorServiceIpsArgs { sum?: string; sub?: string; mul?: string; div?: string; }
export interface CalculatorServicePortsArgs { sum?: number; sub?: number; mul?: number; div?: number; }

/**
 * Arguments of TwoTierCalculatorTopology. Addresses and ports are plain values, not Inputs:
 * they are validated (overlaps, subnets, clashes) before any resource is created.
 */
export interface TwoTierCalculatorTopologyArgs {
  /** Glance image of all five servers (Debian/Ubuntu with cloud-init and systemd). */
  imageName: pulumi.Input<string>;
  /** Nova flavor of all five servers. */
  flavorName: pulumi.Input<string>;
  /** External network: RT1's gateway and the floating IP pool, e.g. "public". */
  externalNetworkName: string;
  /** Block allowed to reach the front end's port, e.g. "203.0.113.0/24". Required: no world-open default. */
  clientCidr: string;
  /** Nova keypair for SSH (optional). */
  keyPairName?: pulumi.Input<string>;
  /** Opens SSH (22) on the front end from this block; default closed. */
  sshClientCidr?: string;
  /** Net1, the front end's network (default 192.168.1.0/24). */
  frontendCidr?: string;
  /** Net2, the services' network (default 192.168.2.0/24). */
  serviceCidr?: string;
  /** RT1's address on Net1, Net1's gateway (default the first host, .1). */
  frontendGatewayIp?: string;
  /** RT2's address on Net1, next hop of the host route to Net2 (default the last host, .254). */
  innerRouterFrontendIp?: string;
  /** RT2's address on Net2, Net2's gateway (default the last host, .254: .1 belongs to Sum). */
  serviceGatewayIp?: string;
  /** The front end's fixed IP (default the tenth host, .10). */
  frontendIp?: string;
  /** Fixed IPs of the services (default .1–.4 of Net2, the seed's). */
  serviceIps?: CalculatorServiceIpsArgs;
  /** Front end port (default 50000). */
  frontendPort?: number;
  /** Service ports (default 50001–50004). */
  servicePorts?: CalculatorServicePortsArgs;
  /** Internet for Net2 (default true: the services install Node.js from the mirror). */
  serviceInternetEgress?: boolean;
  /**
   * Which router SNATs Net2's egress. "outer" (default, the seed's layout): RT2 routes to RT1,
   * which must SNAT Net2 — true on ML2/OVS, but on ML2/OVN (DevStack's default) only when Neutron
   * sets `ovn_router_indirect_snat = true`; otherwise the services never reach the mirror.
   * "inner": RT2 gets its own external gateway and SNATs Net2 itself, on any backend (one more
   * external address).
   */
  serviceEgressRouter?: string;
  /** "package" (default: cloud-init installs the distribution's nodejs) or "image" (the image has /usr/bin/node). */
  nodejsSource?: string;
  /** Resolvers handed out by DHCP on both subnets (default: the cloud's). */
  dnsNameservers?: string[];
  /** Per-call deadline of the front end towards the services, ms (default 3000). */
  serviceTimeoutMs?: number;
}

/**
 * The seed's two-tier calculator, working the first time: a front end on Net1 behind a
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

  constructor(name: string, args: TwoTierCalculatorTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything (and render the user data) before anything is registered, the component included.
    const component = `TwoTierCalculatorTopology ${name}`;
    if (!args.externalNetworkName) throw new Error(`${component}: externalNetworkName is required (e.g. "public")`);

    const plan = planTwoTierCalculator(component, {
      frontendCidr: args.frontendCidr,
      serviceCidr: args.serviceCidr,
      frontendGatewayIp: args.frontendGatewayIp,
      innerRouterFrontendIp: args.innerRouterFrontendIp,
      serviceGatewayIp: args.serviceGatewayIp,
      frontendIp: args.frontendIp,
      serviceIps: args.serviceIps,
      frontendPort: args.frontendPort,
      servicePorts: args.servicePorts,
      clientCidr: args.clientCidr,
      sshClientCidr: args.sshClientCidr,
      serviceInternetEgress: args.serviceInternetEgress,
      serviceEgressRouter: args.serviceEgressRouter,
      hasKeyPair: args.keyPairName !== undefined,
      nodejsSource: args.nodejsSource,
      serviceTimeoutMs: args.serviceTimeoutMs,
    });
    // Rendered up front: a bundle missing or user data too large fails before any resource.
    const userData = new Map(plan.servers.map((s) => [s.role, renderCalculatorUserData(plan, s)]));
    super("openstack-blueprints:index:TwoTierCalculatorTopology", name, {}, opts);

    const frontendNet = new PrivateNetwork(`${name}-net1`, {
      cidr: plan.frontendSubnet.cidr,
      gatewayIp: plan.frontendSubnet.gatewayIp,
      allocationPools: plan.frontendSubnet.allocationPools,
      hostRoutes: plan.frontendSubnet.hostRoutes,
      dnsNameservers: args.dnsNameservers,
      externalNetworkName: args.externalNetworkName,
      networkName: `${name}-net1`,
    }, { parent: this });

    const innerRouter = new openstack.networking.Router(`${name}-rt2`, {
      name: `${name}-rt2`,
      adminStateUp: true,
      // serviceEgressRouter "inner": RT2 SNATs Net2 itself (ML2/OVN does not SNAT it on RT1 by default).
      ...(plan.innerRouterExternalGateway
        ? { externalNetworkId: openstack.networking.getNetworkOutput({ name: args.externalNetworkName, external: true }, { parent: this }).id }
        : {}),
    }, { parent: this });

    const serviceNet = new PrivateNetwork(`${name}-net2`, {
      cidr: plan.serviceSubnet.cidr,
      gatewayIp: plan.serviceSubnet.gatewayIp,
      allocationPools: plan.serviceSubnet.allocationPools,
      dnsNameservers: args.dnsNameservers,
      existingRouterId: innerRouter.id,
      networkName: `${name}-net2`,
    }, { parent: this });

    // RT2 on Net1 at a chosen address: the host route's next hop must be known in advance.
    const innerRouterFrontendPort = new openstack.networking.Port(`${name}-rt2-net1-port`, {
      name: `${name}-rt2-net1`,
      networkId: frontendNet.networkId,
      fixedIps: [{ subnetId: frontendNet.subnetId, ipAddress: plan.innerRouterFrontendIp }],
    }, { parent: this });
    const innerRouterFrontendInterface = new openstack.networking.RouterInterface(`${name}-rt2-net1-interface`, {
      routerId: innerRouter.id,
      portId: innerRouterFrontendPort.id,
    }, { parent: this });

    const routerRoutes: pulumi.Resource[] = [];
    for (const route of plan.routerRoutes) {
      const routeName = route.router === "inner" ? `${name}-rt2-route-default` : `${name}-rt1-route-net2`;
      routerRoutes.push(new openstack.networking.RouterRoute(routeName, {
        routerId: route.router === "inner" ? innerRouter.id : frontendNet.routerId,
        destinationCidr: route.destinationCidr,
        nextHop: route.nextHop,
      }, { parent: this, dependsOn: [frontendNet, serviceNet, innerRouterFrontendInterface] }));
    }

    const frontendSecurity = new SecurityProfile(`${name}-frontend-sg`, {
      groupName: `${name}-frontend`,
      rules: plan.frontendRules.map((r) => ({ protocol: r.protocol, port: r.port, remoteCidr: r.remoteCidr, description: r.description })),
    }, { parent: this });
    const serviceSecurity = new SecurityProfile(`${name}-services-sg`, {
      groupName: `${name}-services`,
      rules: plan.serviceRules.map((r) => ({ protocol: r.protocol, port: r.port, remoteCidr: r.remoteCidr, description: r.description })),
    }, { parent: this });

    // Servers boot after their networks, routes and router interfaces exist, so cloud-init
    // reaches the package mirror and the DHCP lease already carries the host route.
    const networkReady: pulumi.Resource[] = [frontendNet, serviceNet, innerRouterFrontendInterface, ...routerRoutes];
    const instances: Record<string, openstack.compute.Instance> = {};
    const ports: Record<string, openstack.networking.Port> = {};
    for (const server of plan.servers) {
      const onFrontend = server.network === "frontend";
      const net = onFrontend ? frontendNet : serviceNet;
      const port = new openstack.networking.Port(`${name}-${server.role}-port`, {
        name: `${name}-${server.role}`,
        networkId: net.networkId,
        fixedIps: [{ subnetId: net.subnetId, ipAddress: server.ip }],
        securityGroupIds: [(onFrontend ? frontendSecurity : serviceSecurity).securityGroupId],
      }, { parent: this });
      ports[server.role] = port;
      instances[server.role] = new openstack.compute.Instance(`${name}-${server.role}`, {
        name: `${name}-${server.role}`,
        imageName: args.imageName,
        flavorName: args.flavorName,
        keyPair: args.keyPairName,
        userData: userData.get(server.role)!,
        networks: [{ port: port.id }],
        // On a pre-made port: delete the old server first, or Nova refuses the new one (port in use).
      }, { parent: this, dependsOn: networkReady, deleteBeforeReplace: true });
    }

    const floatingIp = new openstack.networking.FloatingIp(`${name}-frontend-fip`, {
      pool: args.externalNetworkName,
      description: `${name} calculator front end`,
    }, { parent: this });
    // Depends on Net1's component: the association needs RT1's interface on Net1 to exist.
    new openstack.networking.FloatingIpAssociate(`${name}-frontend-fip-assoc`, {
      floatingIp: floatingIp.address,
      portId: ports.frontend.id,
    }, { parent: this, dependsOn: [frontendNet] });

    const frontendServer = plan.servers.find((s) => s.role === "frontend")!;
    this.floatingIp = floatingIp.address;
    this.publicUrl = pulumi.interpolate`http://${floatingIp.address}:${frontendServer.port}`;
    this.frontendIp = pulumi.output(frontendServer.ip);
    this.serviceIps = pulumi.output(Object.fromEntries(plan.servers.filter((s) => s.network === "service").map((s) => [s.role, s.ip])));
    this.serviceUrls = pulumi.output<Record<string, string>>({ ...plan.serviceUrls });
    this.outerRouterId = frontendNet.routerId;
    this.innerRouterId = innerRouter.id;
    this.frontendNetworkId = frontendNet.networkId;
    this.frontendSubnetId = frontendNet.subnetId;
    this.serviceNetworkId = serviceNet.networkId;
    this.serviceSubnetId = serviceNet.subnetId;
    this.instanceIds = pulumi.all(Object.fromEntries(Object.entries(instances).map(([role, i]) => [role, i.id])));
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
    });
  }
}
