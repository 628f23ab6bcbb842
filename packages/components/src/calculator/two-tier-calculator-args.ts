// Args of TwoTierCalculatorTopology: the one declaration of its inputs (the interface other
// languages' SDKs are inferred from) and the zod schema that checks them — used by the plan, by
// the example's stack config and by the environments' calculator block, so the three cannot
// disagree. The schema is held to the interface at compile time (SameShape).
//
// nodejsSource, serviceEgressRouter and networkBackend are typed `string`: Pulumi's schema inference refuses
// union types, string literal unions included (see test/provider); the schema checks the values.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ipv4Address, ipv4Cidr, oneOf, pulumiInput, SameShape } from "../config/zod-types";

/** How the guests get Node.js. */
export const NODEJS_SOURCES = ["package", "image"] as const;
/**
 * Which router takes Net2 to the internet. "outer": RT2 → RT1, RT1 SNATs Net2 (the lab's
 * layout; on ML2/OVN only with Neutron's `ovn_router_indirect_snat = true`). "inner": RT2 has
 * its own external gateway and SNATs Net2 itself (works on ML2/OVS and ML2/OVN; one more
 * external address).
 */
export const SERVICE_EGRESS_ROUTERS = ["outer", "inner"] as const;
/**
 * Neutron's backend as far as the calculator cares: who SNATs a subnet a router reaches through
 * another router. "ovs": Neutron's L3 agent (ML2/OVS, linuxbridge) SNATs all that leaves the
 * gateway. "ovn": ML2/OVN SNATs only the router's own subnets unless Neutron sets
 * `[ovn] ovn_router_indirect_snat = true` (ovnRouterIndirectSnat).
 */
export const NETWORK_BACKENDS = ["ovs", "ovn"] as const;
/** Longest wait for the front end's first answer (frontendReadinessTimeoutSeconds), in s. */
export const MAX_READINESS_TIMEOUT_S = 7200;
/** Default wait for the front end's first answer: five boots, cloud-init and (by default) apt. */
export const DEFAULT_READINESS_TIMEOUT_S = 1200;
/** Longest per-call deadline of the front end towards a service, in ms. */
export const MAX_SERVICE_TIMEOUT_MS = 600000;

/** Per-service values (fixed IPs, ports) keyed by operation. */
export interface CalculatorServiceIpsArgs {
  sum?: string;
  sub?: string;
  mul?: string;
  div?: string;
}
export interface CalculatorServicePortsArgs {
  sum?: number;
  sub?: number;
  mul?: number;
  div?: number;
}

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
  /** Fixed IPs of the services (default .1–.4 of Net2, the lab's). */
  serviceIps?: CalculatorServiceIpsArgs;
  /** Front end port (default 50000). */
  frontendPort?: number;
  /** Service ports (default 50001–50004). */
  servicePorts?: CalculatorServicePortsArgs;
  /** Internet for Net2 (default true: the services install Node.js from the mirror). */
  serviceInternetEgress?: boolean;
  /**
   * Which router SNATs Net2's egress (one of SERVICE_EGRESS_ROUTERS). "outer" (default, the
   * seed's layout): RT2 routes to RT1, which must SNAT Net2 — true on ML2/OVS, but on ML2/OVN
   * (DevStack's default) only when Neutron sets `ovn_router_indirect_snat = true`; otherwise the
   * services never reach the mirror. "inner": RT2 gets its own external gateway and SNATs Net2
   * itself, on any backend (one more external address). Default "outer", except "inner" when
   * networkBackend is "ovn" without ovnRouterIndirectSnat; "outer" is refused there.
   */
  serviceEgressRouter?: string;
  /**
   * The cloud's Neutron backend (one of NETWORK_BACKENDS): "ovs" (ML2/OVS or linuxbridge, the L3
   * agent) or "ovn" (ML2/OVN, DevStack's default). A project cannot read it from the API (the
   * agent list and Neutron's configuration are the admin's), so it is said here. Unset: the
   * seed's layout (serviceEgressRouter "outer"), right on ML2/OVS; on ML2/OVN the readiness
   * check then fails. "ovn": Net2 leaves through RT2's own gateway ("inner") by default.
   */
  networkBackend?: string;
  /**
   * With networkBackend "ovn": the cloud's Neutron sets `[ovn] ovn_router_indirect_snat = true`
   * (default false), so RT1 SNATs Net2 like ML2/OVS and the seed's layout works. Default false.
   */
  ovnRouterIndirectSnat?: boolean;
  /** "package" (default: cloud-init installs the distribution's nodejs) or "image" (the image has /usr/bin/node). */
  nodejsSource?: string;
  /** Resolvers handed out by DHCP on both subnets (default: the cloud's). */
  dnsNameservers?: string[];
  /** Per-call deadline of the front end towards the services, ms (default 3000). */
  serviceTimeoutMs?: number;
  /** Nova availability zone of the five servers, e.g. "az1" (default: Nova's choice). */
  availabilityZone?: string;
  /**
   * Neutron availability zones of Net1, Net2, RT1 and RT2 (`availability_zone_hints`: where
   * their DHCP and L3 agents run), e.g. ["az1"]. Neutron's zones are not Nova's (a cloud may
   * name them differently, and Neutron's default zone is "nova"), so they are set apart from
   * availabilityZone. Default none: any agent.
   */
  networkAvailabilityZoneHints?: string[];
  /**
   * How long `pulumi up` waits for the front end to compute through all four services before it
   * fails, in seconds (default 1200), like Heat's WaitCondition. The check runs where `pulumi up`
   * runs: that machine must be inside clientCidr. 0 skips it (e.g. a cloud whose hypervisor
   * boots nothing); the frontendReady output then says it was not checked.
   */
  frontendReadinessTimeoutSeconds?: number;
}

const tcpPort = z
  .number({ message: "is not a number" })
  .int({ message: "is not a TCP port 1-65535" })
  .min(1, { message: "is not a TCP port 1-65535" })
  .max(65535, { message: "is not a TCP port 1-65535" });
const perService = <T extends z.ZodType>(value: T) =>
  z.object({ sum: value.optional(), sub: value.optional(), mul: value.optional(), div: value.optional() }).strict();
const serviceIpsSchema = perService(ipv4Address);
const servicePortsSchema = perService(tcpPort);

/** The calculator's args, field by field (relations between fields are the plan's). */
export const twoTierCalculatorArgsSchema = z
  .object({
    imageName: pulumiInput(
      z
        .string({ message: "is required: the Glance image of the five servers" })
        .min(1, { message: "is empty; give an image name" }),
    ),
    flavorName: pulumiInput(
      z
        .string({ message: "is required: the Nova flavor of the five servers" })
        .min(1, { message: "is empty; give a flavor name" }),
    ),
    externalNetworkName: z
      .string({ message: 'is required: the external network (e.g. "public")' })
      .min(1, { message: 'is empty; give the external network (e.g. "public")' }),
    clientCidr: z
      .string({
        message:
          "is required: the block allowed to reach the front end (e.g. your office's 203.0.113.0/24); 0.0.0.0/0 only if you mean the whole internet",
      })
      .pipe(ipv4Cidr),
    keyPairName: pulumiInput(
      z.string().min(1, { message: "is empty; give a Nova keypair name or leave it out" }),
    ).optional(),
    sshClientCidr: ipv4Cidr.optional(),
    frontendCidr: ipv4Cidr.optional(),
    serviceCidr: ipv4Cidr.optional(),
    frontendGatewayIp: ipv4Address.optional(),
    innerRouterFrontendIp: ipv4Address.optional(),
    serviceGatewayIp: ipv4Address.optional(),
    frontendIp: ipv4Address.optional(),
    serviceIps: serviceIpsSchema.optional(),
    frontendPort: tcpPort.optional(),
    servicePorts: servicePortsSchema.optional(),
    serviceInternetEgress: z.boolean({ message: "is not true or false" }).optional(),
    serviceEgressRouter: oneOf(SERVICE_EGRESS_ROUTERS).optional(),
    networkBackend: oneOf(NETWORK_BACKENDS).optional(),
    ovnRouterIndirectSnat: z.boolean({ message: "is not true or false" }).optional(),
    nodejsSource: oneOf(NODEJS_SOURCES).optional(),
    dnsNameservers: z.array(ipv4Address).optional(),
    serviceTimeoutMs: z
      .number({ message: "is not a number" })
      .int({ message: `is not a whole number of milliseconds 1-${MAX_SERVICE_TIMEOUT_MS}` })
      .min(1, { message: `is not a whole number of milliseconds 1-${MAX_SERVICE_TIMEOUT_MS}` })
      .max(MAX_SERVICE_TIMEOUT_MS, { message: `is not a whole number of milliseconds 1-${MAX_SERVICE_TIMEOUT_MS}` })
      .optional(),
    availabilityZone: z
      .string({ message: 'is not text; give a Nova availability zone (e.g. "nova") or leave it out' })
      .min(1, { message: 'is empty; give a Nova availability zone (e.g. "nova") or leave it out' })
      .optional(),
    networkAvailabilityZoneHints: z
      .array(
        z
          .string({ message: 'is not text; give a Neutron availability zone (e.g. "nova")' })
          .min(1, { message: 'is empty; give a Neutron availability zone (e.g. "nova")' }),
        { message: 'is not a list of Neutron availability zones; give e.g. ["nova"]' },
      )
      .optional(),
    frontendReadinessTimeoutSeconds: z
      .number({ message: "is not a number" })
      .int({ message: `is not a whole number of seconds 0-${MAX_READINESS_TIMEOUT_S} (0 skips the check)` })
      .min(0, { message: `is not a whole number of seconds 0-${MAX_READINESS_TIMEOUT_S} (0 skips the check)` })
      .max(MAX_READINESS_TIMEOUT_S, {
        message: `is not a whole number of seconds 0-${MAX_READINESS_TIMEOUT_S} (0 skips the check)`,
      })
      .optional(),
  })
  .strict();

// The schema and the interface describe the same fields: adding one to either alone fails tsc.
const _calculatorSchemaMatchesArgs: SameShape<
  z.input<typeof twoTierCalculatorArgsSchema>,
  TwoTierCalculatorTopologyArgs
> = true;
const _serviceIpsMatch: SameShape<z.input<typeof serviceIpsSchema>, CalculatorServiceIpsArgs> = true;
const _servicePortsMatch: SameShape<z.input<typeof servicePortsSchema>, CalculatorServicePortsArgs> = true;
void [_calculatorSchemaMatchesArgs, _serviceIpsMatch, _servicePortsMatch];
