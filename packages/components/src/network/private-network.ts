import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ArgsProblems } from "../errors";
import { planPrivateNetwork } from "./private-network-plan";
import { privateNetworkArgsSchema, type PrivateNetworkArgs } from "./private-network-args";

export type { AllocationPoolArgs, HostRouteArgs, PrivateNetworkArgs } from "./private-network-args";

/**
 * A tenant network ready for instances: network, subnet (gateway, DHCP, pools, DNS, host
 * routes) and, when asked or implied, a router with an external gateway and the interface
 * joining them. Depend on the component (`dependsOn: [net]`) to wait for all of it — a
 * floating IP association needs the router interface to exist first.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
  public readonly networkId: pulumi.Output<string>;
  public readonly subnetId: pulumi.Output<string>;
  public readonly cidr: pulumi.Output<string>;
  /** Empty string when the subnet has no gateway. */
  public readonly gatewayIp: pulumi.Output<string>;
  /** The router this subnet is attached to (created or existing); empty string when none. */
  public readonly routerId: pulumi.Output<string>;
  /** The interface joining the subnet to the router; empty string when none. */
  public readonly routerInterfaceId: pulumi.Output<string>;
  /** The router's address on the external network (SNAT source); empty string when none. */
  public readonly externalGatewayIp: pulumi.Output<string>;
  public readonly dnsNameservers: pulumi.Output<string[]>;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every problem is collected and reported before anything (the component included) is registered.
    const problems = new ArgsProblems(`PrivateNetwork ${name}`);
    if (args.externalNetworkName !== undefined && args.externalNetworkId !== undefined) {
      problems.add(
        "externalNetworkId",
        args.externalNetworkId,
        "is set together with externalNetworkName; give one of them",
      );
    }
    // The zone hints may be Inputs, so the plan (plain values) does not see them: checked here.
    const hints = privateNetworkArgsSchema
      .pick({ availabilityZoneHints: true })
      .safeParse({ availabilityZoneHints: args.availabilityZoneHints });
    if (!hints.success)
      problems.addZodIssues(hints.error.issues, { availabilityZoneHints: args.availabilityZoneHints });
    const plan = planPrivateNetwork(
      `PrivateNetwork ${name}`,
      {
        cidr: args.cidr,
        gatewayIp: args.gatewayIp,
        noGateway: args.noGateway,
        enableDhcp: args.enableDhcp,
        allocationPools: args.allocationPools,
        dnsNameservers: args.dnsNameservers,
        hostRoutes: args.hostRoutes,
        hasExternalNetwork: args.externalNetworkName !== undefined || args.externalNetworkId !== undefined,
        createRouter: args.createRouter,
        hasExistingRouter: args.existingRouterId !== undefined,
        internetAccess: args.internetAccess,
        mtu: args.mtu,
      },
      problems,
    );
    problems.throwIfAny();
    super("openstack-blueprints:index:PrivateNetwork", name, {}, opts);

    const network = new openstack.networking.Network(
      `${name}-network`,
      {
        name: args.networkName ?? name,
        adminStateUp: true,
        mtu: plan.mtu,
        portSecurityEnabled: args.portSecurityEnabled ?? true,
        availabilityZoneHints: args.availabilityZoneHints,
        tags: args.tags,
      },
      { parent: this },
    );

    const subnet = new openstack.networking.Subnet(
      `${name}-subnet`,
      {
        name: `${args.networkName ?? name}-subnet`,
        networkId: network.id,
        cidr: plan.cidr,
        ipVersion: 4,
        gatewayIp: plan.gatewayIp,
        noGateway: plan.gatewayIp === undefined ? true : undefined,
        enableDhcp: plan.enableDhcp,
        allocationPools: plan.allocationPools.length > 0 ? plan.allocationPools : undefined,
        dnsNameservers: plan.dnsNameservers.length > 0 ? plan.dnsNameservers : undefined,
        tags: args.tags,
      },
      { parent: this },
    );

    // Host routes as their own resources (Neutron's subnet host_routes, which DHCP hands out):
    // the Terraform OpenStack provider 2.0 removed `host_routes` from the subnet resource, and
    // one resource per route lets a route be added or removed without touching the subnet.
    // Each name says which destination it routes, so removing one never renames another.
    for (const route of plan.hostRoutes) {
      new openstack.networking.SubnetRoute(
        `${name}-route-${route.destinationCidr.replace("/", "_")}`,
        {
          subnetId: subnet.id,
          destinationCidr: route.destinationCidr,
          nextHop: route.nextHop,
        },
        { parent: this },
      );
    }

    let routerId: pulumi.Output<string> = pulumi.output("");
    let routerInterfaceId: pulumi.Output<string> = pulumi.output("");
    let externalGatewayIp: pulumi.Output<string> = pulumi.output("");

    if (plan.createRouter) {
      const externalNetworkId =
        args.externalNetworkName !== undefined
          ? openstack.networking.getNetworkOutput({ name: args.externalNetworkName, external: true }, { parent: this })
              .id
          : args.externalNetworkId;
      const router = new openstack.networking.Router(
        `${name}-router`,
        {
          name: `${args.networkName ?? name}-router`,
          adminStateUp: true,
          externalNetworkId,
          // The router's L3 agent in the same zones as the network's DHCP agents.
          availabilityZoneHints: args.availabilityZoneHints,
          tags: args.tags,
        },
        { parent: this },
      );
      routerId = router.id;
      externalGatewayIp = router.externalFixedIps.apply((ips) => ips?.[0]?.ipAddress ?? "");
    } else if (plan.attachToExistingRouter) {
      routerId = pulumi.output(args.existingRouterId!);
    }

    if (plan.createRouter || plan.attachToExistingRouter) {
      const routerInterface = new openstack.networking.RouterInterface(
        `${name}-router-interface`,
        {
          routerId,
          subnetId: subnet.id,
        },
        { parent: this },
      );
      routerInterfaceId = routerInterface.id;
    }

    this.networkId = network.id;
    this.subnetId = subnet.id;
    this.cidr = pulumi.output(plan.cidr);
    this.gatewayIp = pulumi.output(plan.gatewayIp ?? "");
    this.routerId = routerId;
    this.routerInterfaceId = routerInterfaceId;
    this.externalGatewayIp = externalGatewayIp;
    this.dnsNameservers = pulumi.output(plan.dnsNameservers);
    this.registerOutputs({
      networkId: this.networkId,
      subnetId: this.subnetId,
      cidr: this.cidr,
      gatewayIp: this.gatewayIp,
      routerId: this.routerId,
      routerInterfaceId: this.routerInterfaceId,
      externalGatewayIp: this.externalGatewayIp,
      dnsNameservers: this.dnsNameservers,
    });
  }
}
