// `openstack-blueprints:calculator`: the two-tier calculator (TwoTierCalculatorTopology).
import { TwoTierCalculatorTopology, ipv4Address, ipv4Cidr, portNumber } from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock, providerOptions } from "../block";

const perService = <T extends z.ZodType>(value: T) => z.object({ sum: value.optional(), sub: value.optional(), mul: value.optional(), div: value.optional() }).strict();

export const calculatorSpec = z.object({
  imageName: z.string().min(1),
  flavorName: z.string().min(1),
  externalNetworkName: z.string().min(1),
  clientCidr: ipv4Cidr,
  keyPairName: z.string().min(1).optional(),
  sshClientCidr: ipv4Cidr.optional(),
  frontendCidr: ipv4Cidr.optional(),
  serviceCidr: ipv4Cidr.optional(),
  frontendIp: ipv4Address.optional(),
  serviceIps: perService(ipv4Address).optional(),
  frontendPort: portNumber.optional(),
  servicePorts: perService(portNumber).optional(),
  frontendGatewayIp: ipv4Address.optional(),
  innerRouterFrontendIp: ipv4Address.optional(),
  serviceGatewayIp: ipv4Address.optional(),
  serviceInternetEgress: z.boolean().optional(),
  serviceEgressRouter: z.enum(["outer", "inner"]).optional(),
  nodejsSource: z.string().optional(),
  dnsNameservers: z.array(ipv4Address).optional(),
  serviceTimeoutMs: z.number().int().optional(),
}).strict();

export const calculatorBlock = defineBlock({
  key: "calculator",
  component: "TwoTierCalculatorTopology",
  description: "The seed's two-tier calculator: front end behind a floating IP, four services behind an inner router.",
  schema: calculatorSpec,
  deploy: (spec, ctx) => {
    const calculator = new TwoTierCalculatorTopology(`${ctx.environment}-calculator`, spec, providerOptions(ctx));
    ctx.outputs["calculator.publicUrl"] = calculator.publicUrl;
    ctx.outputs["calculator.serviceIps"] = calculator.serviceIps;
  },
});
