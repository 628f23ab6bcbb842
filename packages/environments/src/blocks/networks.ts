// `openstack-blueprints:networks`: named PrivateNetworks, e.g.
//   networks: { office: { cidr: 192.168.50.0/24, externalNetworkName: public, dnsNameservers: [9.9.9.9], internetAccess: true } }
import { PrivateNetwork } from "@openstack-blueprints/components";
import { z } from "zod";
import { ipv4Address, ipv4Cidr } from "@openstack-blueprints/components";
import { defineBlock, providerOptions } from "../block";

export const resourceName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
  message: "is not a valid name (lowercase letter first, then lowercase letters, digits or -; at most 31)",
});

export const privateNetworkSpec = z
  .object({
    cidr: ipv4Cidr,
    gatewayIp: ipv4Address.optional(),
    noGateway: z.boolean().optional(),
    enableDhcp: z.boolean().optional(),
    allocationPools: z.array(z.object({ start: ipv4Address, end: ipv4Address }).strict()).optional(),
    dnsNameservers: z.array(ipv4Address).optional(),
    hostRoutes: z.array(z.object({ destinationCidr: ipv4Cidr, nextHop: ipv4Address }).strict()).optional(),
    externalNetworkName: z.string().min(1).optional(),
    createRouter: z.boolean().optional(),
    internetAccess: z.boolean().optional(),
    mtu: z.number().int().min(68).max(9000).optional(),
    tags: z.array(z.string()).optional(),
    networkName: z.string().min(1).optional(),
  })
  .strict();

export const networksBlock = defineBlock({
  key: "networks",
  component: "PrivateNetwork",
  description: "Named tenant networks (network, subnet, optional router with external gateway).",
  schema: z.record(resourceName, privateNetworkSpec),
  deploy: (networks, ctx) => {
    for (const [name, spec] of Object.entries(networks)) {
      const net = new PrivateNetwork(
        `${ctx.environment}-${name}`,
        { networkName: name, ...spec },
        providerOptions(ctx),
      );
      ctx.networks.set(name, net);
      ctx.outputs[`networks.${name}.networkId`] = net.networkId;
      ctx.outputs[`networks.${name}.subnetId`] = net.subnetId;
      ctx.outputs[`networks.${name}.externalGatewayIp`] = net.externalGatewayIp;
    }
  },
});
