// PrivateNetwork's inputs, declared once: the interface (other languages' SDKs are inferred from
// it) and the zod schema that checks each field on its own (private-network-plan.ts checks how
// they fit together). SameShape keeps the two from drifting apart.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ipv4Address, ipv4Cidr, pulumiInput, SameShape } from "../config/zod-types";

export interface AllocationPoolArgs {
  start: string;
  end: string;
}

export interface HostRouteArgs {
  /** Destination block, e.g. "192.168.2.0/24". */
  destinationCidr: string;
  /** Next hop on this subnet that DHCP hands to instances, e.g. the inner router's address. */
  nextHop: string;
}

/**
 * Arguments of PrivateNetwork. Address fields are plain strings, not Inputs: they are
 * validated before anything is created, so a typo never leaves a half-made network.
 */
export interface PrivateNetworkArgs {
  /** The subnet's block, e.g. "192.168.1.0/24" (canonical, /29 or larger). */
  cidr: string;
  /** Gateway address; default the first host of the block. */
  gatewayIp?: string;
  /** A subnet without gateway (isolated back-end networks). */
  noGateway?: boolean;
  /** DHCP on the subnet (default true): it delivers routes and nameservers to instances. */
  enableDhcp?: boolean;
  /** Ranges Neutron allocates addresses from; default the whole block minus the gateway. */
  allocationPools?: AllocationPoolArgs[];
  /** Resolvers handed out by DHCP. Required when internetAccess is true. */
  dnsNameservers?: string[];
  /** Static routes handed out by DHCP (option 121), e.g. to a second network behind a router. */
  hostRoutes?: HostRouteArgs[];
  /** Name of the external network for a router gateway, e.g. "public" (looked up). */
  externalNetworkName?: string;
  /** ID of the external network for a router gateway (instead of the name). */
  externalNetworkId?: pulumi.Input<string>;
  /** Create a router for this subnet; default true when an external network is given. */
  createRouter?: boolean;
  /** Attach the subnet to this existing router instead of creating one. */
  existingRouterId?: pulumi.Input<string>;
  /**
   * Instances on this subnet must reach the internet: the component then refuses a
   * configuration without a router with an external gateway, DHCP and nameservers.
   */
  internetAccess?: boolean;
  /** Network MTU; default Neutron's. */
  mtu?: number;
  /** Port security on the network (default true, so security groups apply). */
  portSecurityEnabled?: boolean;
  /** Tags on the network, subnet and router. */
  tags?: string[];
  /** OpenStack name of the network; default the component's name. */
  networkName?: string;
  /**
   * Neutron availability zones of the network (its DHCP agents) and of the router this
   * component creates (its L3 agent), e.g. ["az1"]: Neutron's `availability_zone_hints`.
   * Default none: Neutron's scheduler picks any agent.
   */
  availabilityZoneHints?: pulumi.Input<string>[];
}

const name = (what: string) =>
  z.string({ message: `is not text; give ${what}` }).min(1, { message: `is empty; give ${what}` });

const allocationPoolSchema = z.object({ start: ipv4Address, end: ipv4Address });
const hostRouteSchema = z.object({ destinationCidr: ipv4Cidr, nextHop: ipv4Address });

/** PrivateNetworkArgs field by field (gateway, pools, routes against the block: the plan's). */
export const privateNetworkArgsSchema = z.object({
  cidr: ipv4Cidr,
  gatewayIp: ipv4Address.optional(),
  noGateway: z.boolean().optional(),
  enableDhcp: z.boolean().optional(),
  allocationPools: z.array(allocationPoolSchema).optional(),
  dnsNameservers: z.array(ipv4Address).optional(),
  hostRoutes: z.array(hostRouteSchema).optional(),
  externalNetworkName: name("the external network's name (e.g. public)").optional(),
  externalNetworkId: pulumiInput(name("the external network's ID")).optional(),
  createRouter: z.boolean().optional(),
  existingRouterId: pulumiInput(name("the router's ID")).optional(),
  internetAccess: z.boolean().optional(),
  mtu: z
    .number({ message: "is not a number" })
    .int({ message: "is not an MTU between 68 and 9000" })
    .min(68, { message: "is not an MTU between 68 and 9000" })
    .max(9000, { message: "is not an MTU between 68 and 9000" })
    .optional(),
  portSecurityEnabled: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  networkName: name("the network's OpenStack name").optional(),
  availabilityZoneHints: z
    .array(pulumiInput(name("a Neutron availability zone (e.g. nova)")), {
      message: 'is not a list of availability zones; give e.g. ["nova"]',
    })
    .optional(),
});

// The schema and the interfaces describe the same fields: adding one to either alone fails tsc.
const _networkSchemaMatchesArgs: SameShape<z.input<typeof privateNetworkArgsSchema>, PrivateNetworkArgs> = true;
const _poolSchemaMatchesArgs: SameShape<z.input<typeof allocationPoolSchema>, AllocationPoolArgs> = true;
const _routeSchemaMatchesArgs: SameShape<z.input<typeof hostRouteSchema>, HostRouteArgs> = true;
void [_networkSchemaMatchesArgs, _poolSchemaMatchesArgs, _routeSchemaMatchesArgs];
