// `openstack-blueprints:networks`: named PrivateNetworks, e.g.
//   networks: { office: { cidr: 192.168.50.0/24, externalNetworkName: public, dnsNameservers: [9.9.9.9], internetAccess: true } }
import * as pulumi from "@pulumi/pulumi";
import { PrivateNetwork, privateNetworkArgsSchema } from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock, providerOptions, strictConfig } from "../block";

export const resourceName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
  message: "is not a valid name (lowercase letter first, then lowercase letters, digits or -; at most 31)",
});

/** One network of the stack: PrivateNetwork's args (networkName defaults to its key). */
export const privateNetworkSpec = strictConfig(privateNetworkArgsSchema);

export const networksBlock = defineBlock({
  key: "networks",
  component: "PrivateNetwork",
  description: "Named tenant networks (network, subnet, optional router with external gateway).",
  schema: z.record(resourceName, privateNetworkSpec),
  uses: ["provider", "cloud"],
  provides: ["networks"],
  run: (networks, inputs, environment) => {
    const built = new Map<string, PrivateNetwork>();
    const outputs: Record<string, pulumi.Output<unknown>> = {};
    for (const [name, spec] of Object.entries(networks)) {
      const net = new PrivateNetwork(`${environment}-${name}`, { networkName: name, ...spec }, providerOptions(inputs));
      built.set(name, net);
      outputs[`networks.${name}.networkId`] = net.networkId;
      outputs[`networks.${name}.subnetId`] = net.subnetId;
      outputs[`networks.${name}.externalGatewayIp`] = net.externalGatewayIp;
    }
    return { provided: { networks: built }, outputs };
  },
});
