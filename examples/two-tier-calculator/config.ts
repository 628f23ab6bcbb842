// Stack settings of the example, validated with zod before anything is created.
import { z } from "zod";
import { ipv4Address, ipv4Cidr, oneOf, portNumber } from "../../packages/components/src/config/zod-types";

const perService = <T extends z.ZodType>(value: T) => z.object({ sum: value.optional(), sub: value.optional(), mul: value.optional(), div: value.optional() }).strict();

export const calculatorStackSchema = z.object({
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
  serviceInternetEgress: z.boolean().optional(),
  nodejsSource: oneOf(["package", "image"] as const).optional(),
  dnsNameservers: z.array(ipv4Address).optional(),
}).strict();

export type CalculatorStackConfig = z.infer<typeof calculatorStackSchema>;
