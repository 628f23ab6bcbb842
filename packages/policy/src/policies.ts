// The policies of the openstack-blueprints pack. Only the array lives here; `index.ts`
// constructs the PolicyPack (constructing one starts a policy server, so tests import
// this module, never index.ts).
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { NOVA_USER_DATA_MAX_BASE64, cloudConfigOf, plainPasswordProblems, userDataBase64Length } from "./user-data";

/** Resource type tokens of @pulumi/openstack the policies look at. */
export const TYPES = {
  secGroupRule: "openstack:networking/secGroupRule:SecGroupRule",
  instance: "openstack:compute/instance:Instance",
  port: "openstack:networking/port:Port",
  subnet: "openstack:networking/subnet:Subnet",
  router: "openstack:networking/router:Router",
  routerInterface: "openstack:networking/routerInterface:RouterInterface",
  floatingIp: "openstack:networking/floatingIp:FloatingIp",
  floatingIpAssociate: "openstack:networking/floatingIpAssociate:FloatingIpAssociate",
} as const;

/**
 * Opt-in marker for an ingress rule that is meant to be open to the whole internet (a public
 * bastion's SSH, say): put it in the rule's `description`. SecurityProfile adds it to rules
 * declared with `allowFromAnywhere: true`, so the reviewable opt-in in code and the policy agree.
 */
export const WORLD_OPEN_MARKER = "[world-open:intended]";

/** Ports that must never face the whole internet without the marker. */
const ADMIN_PORTS: ReadonlyArray<{ port: number; protocols: string[]; what: string }> = [
  { port: 22, protocols: ["tcp"], what: "SSH (22)" },
  { port: 3389, protocols: ["tcp", "udp"], what: "RDP (3389)" },
];

const PROTOCOL_NUMBERS: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp" };

function isWorld(prefix: unknown): boolean {
  return typeof prefix === "string" && /\/0$/.test(prefix.trim());
}

/** What a world-reachable ingress rule opens that it must not, or undefined. */
export function worldOpenExposure(rule: Record<string, unknown>): string | undefined {
  if ((rule.direction ?? "ingress") !== "ingress") return undefined;
  const hasRemoteGroup = typeof rule.remoteGroupId === "string" && rule.remoteGroupId !== "";
  const prefix = rule.remoteIpPrefix;
  // Neutron treats a rule without remote prefix and without remote group as "from anywhere".
  const fromAnywhere = isWorld(prefix) || ((prefix === undefined || prefix === "") && !hasRemoteGroup);
  if (!fromAnywhere) return undefined;
  const rawProtocol = rule.protocol === undefined || rule.protocol === null ? "" : String(rule.protocol).toLowerCase();
  const protocol = PROTOCOL_NUMBERS[rawProtocol] ?? rawProtocol;
  const where = typeof prefix === "string" && prefix !== "" ? prefix : "anywhere (no remote prefix or group)";
  if (protocol === "" || protocol === "any" || protocol === "0") return `all protocols and ports from ${where}`;
  if (protocol !== "tcp" && protocol !== "udp") return undefined;
  const min = Number(rule.portRangeMin ?? 0);
  const max = Number(rule.portRangeMax ?? 0);
  if (!min && !max) return `all ${protocol.toUpperCase()} ports from ${where}`;
  const hit = ADMIN_PORTS.filter(
    (a) => a.protocols.includes(protocol) && (min || 1) <= a.port && a.port <= (max || 65535),
  );
  return hit.length > 0 ? `${hit.map((a) => a.what).join(", ")} from ${where}` : undefined;
}

export const noWorldOpenAdminIngress: ResourceValidationPolicy = {
  name: "no-world-open-admin-ingress",
  description: `No SSH, RDP or all-port ingress from 0.0.0.0/0 or ::/0 unless the rule's description carries ${WORLD_OPEN_MARKER}.`,
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.secGroupRule) return;
    const exposure = worldOpenExposure(args.props);
    if (!exposure) return;
    const description = typeof args.props.description === "string" ? args.props.description : "";
    if (description.includes(WORLD_OPEN_MARKER)) return;
    report(
      `security group rule ${args.name} opens ${exposure}. Restrict remoteIpPrefix to your clients' block; ` +
        `if the world really must reach it, add "${WORLD_OPEN_MARKER}" to the rule's description (SecurityProfile: allowFromAnywhere: true).`,
    );
  },
};

export const noPlainPasswordsInUserData: ResourceValidationPolicy = {
  name: "no-plain-passwords-in-user-data",
  description:
    "Instance user data must not enable SSH password logins (ssh_pwauth) or carry plain passwords (password, plain_text_passwd, non-hashed passwd, chpasswd.list/users).",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.instance) return;
    const userData = args.props.userData;
    if (typeof userData !== "string" || userData === "") return;
    let doc: Record<string, unknown> | undefined;
    try {
      doc = cloudConfigOf(userData);
    } catch (e) {
      report(`instance ${args.name}: ${(e as Error).message}`);
      return;
    }
    if (!doc) return;
    for (const problem of plainPasswordProblems(doc)) report(`instance ${args.name} user data: ${problem}`);
  },
};

export const userDataWithinNovaLimit: ResourceValidationPolicy = {
  name: "user-data-within-nova-limit",
  description: `Instance user data must fit Nova's limit of ${NOVA_USER_DATA_MAX_BASE64} base64 characters (about 48 KiB of text).`,
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.instance) return;
    const userData = args.props.userData;
    if (typeof userData !== "string") return;
    const size = userDataBase64Length(userData);
    if (size > NOVA_USER_DATA_MAX_BASE64) {
      report(
        `instance ${args.name}: user data is ${size} base64 characters; Nova refuses more than ${NOVA_USER_DATA_MAX_BASE64}. ` +
          "Move large files to an image, a volume or a remote step, or compress with gzip and a MIME part.",
      );
    }
  },
};

export const securityGroupsOnPorts: ResourceValidationPolicy = {
  name: "security-groups-on-ports",
  description:
    "Security groups belong on networking.Port (securityGroupIds), not on compute.Instance, where they override the port's groups.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.instance) return;
    const groups = args.props.securityGroups;
    if (Array.isArray(groups) && groups.length > 0) {
      report(
        `instance ${args.name} sets securityGroups ${JSON.stringify(groups)}: groups on the instance override its ports' groups. ` +
          "Create a networking.Port with securityGroupIds and pass networks: [{ port }] instead.",
      );
    }
  },
};

/** A property, or undefined when the engine does not know it yet (preview) or it is absent. */
function known(resource: PolicyResource, key: string): unknown {
  try {
    return resource.props[key];
  } catch (e) {
    if (e instanceof UnknownValueError) return UNKNOWN;
    throw e;
  }
}
const UNKNOWN = Symbol("unknown");

/**
 * Walks FloatingIp(Associate) → Port → Subnet → RouterInterface → Router and returns why the
 * floating IP cannot work, or undefined when it can or when part of the chain is outside the
 * stack (an existing port, subnet or router cannot be checked here).
 */
export function floatingIpRouteProblem(association: PolicyResource, all: PolicyResource[]): string | undefined {
  const byId = (type: string, id: unknown) =>
    typeof id === "string" && id !== "" ? all.filter((r) => r.type === type && known(r, "id") === id) : [];
  const dependents = (type: string, of: PolicyResource) =>
    all.filter((r) => r.type === type && r.dependencies.some((d) => d.urn === of.urn));
  const depsOfType = (r: PolicyResource, type: string) => r.dependencies.filter((d) => d.type === type);
  const unique = (rs: PolicyResource[]) => [...new Map(rs.map((r) => [r.urn, r])).values()];

  const ports = unique([...depsOfType(association, TYPES.port), ...byId(TYPES.port, known(association, "portId"))]);
  if (ports.length === 0) return undefined;
  for (const port of ports) {
    const fixedIps = known(port, "fixedIps");
    const subnetIdsOfPort = Array.isArray(fixedIps)
      ? fixedIps.map((f: unknown) =>
          typeof f === "object" && f !== null ? (f as { subnetId?: unknown }).subnetId : undefined,
        )
      : [];
    let subnets = unique([
      ...depsOfType(port, TYPES.subnet),
      ...subnetIdsOfPort.flatMap((id) => byId(TYPES.subnet, id)),
    ]);
    if (subnets.length === 0) {
      // A port given only its network gets an address from any subnet of that network.
      const networks = port.dependencies.filter((d) => d.type === "openstack:networking/network:Network");
      subnets = unique(networks.flatMap((n) => dependents(TYPES.subnet, n)));
    }
    if (subnets.length === 0) continue;
    for (const subnet of subnets) {
      const interfaces = unique([
        ...dependents(TYPES.routerInterface, subnet),
        ...all.filter(
          (r) =>
            r.type === TYPES.routerInterface &&
            known(r, "subnetId") === known(subnet, "id") &&
            known(subnet, "id") !== undefined,
        ),
      ]);
      if (interfaces.length === 0) {
        return (
          `port ${port.name} is on subnet ${subnet.name}, which is attached to no router, so its floating IP is unreachable. ` +
          "Attach the subnet to a router with an external gateway (PrivateNetwork with externalNetworkName), and make the association depend on the router interface."
        );
      }
      for (const ri of interfaces) {
        const routers = unique([...depsOfType(ri, TYPES.router), ...byId(TYPES.router, known(ri, "routerId"))]);
        if (routers.length === 0) return undefined; // an existing router: not checkable here
        for (const router of routers) {
          const external = known(router, "externalNetworkId");
          if (external === UNKNOWN || (typeof external === "string" && external !== "")) return undefined;
          return (
            `port ${port.name} is on subnet ${subnet.name}, whose router ${router.name} has no external gateway (externalNetworkId), ` +
            "so Neutron refuses the floating IP. Give the router an external network."
          );
        }
      }
    }
  }
  return undefined;
}

export const floatingIpsOnRoutedSubnets: StackValidationPolicy = {
  name: "floating-ips-on-routed-subnets",
  description:
    "A floating IP may only be associated with a port whose subnet is attached to a router with an external gateway.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const associations = args.resources.filter(
      (r) =>
        r.type === TYPES.floatingIpAssociate ||
        (r.type === TYPES.floatingIp &&
          (r.dependencies.some((d) => d.type === TYPES.port) ||
            (typeof known(r, "portId") === "string" && known(r, "portId") !== ""))),
    );
    for (const association of associations) {
      const problem = floatingIpRouteProblem(association, args.resources);
      if (problem) report(`floating IP ${association.name}: ${problem}`, association.urn);
    }
  },
};

/** Every policy of the pack, in the order `pulumi preview` reports them. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noWorldOpenAdminIngress,
  noPlainPasswordsInUserData,
  userDataWithinNovaLimit,
  securityGroupsOnPorts,
  floatingIpsOnRoutedSubnets,
];
