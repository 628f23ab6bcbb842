// Normalising SecurityProfile rule specs: pure, so the refusals and the de-duplication are
// tested without Pulumi. A rule becomes exactly what Neutron stores (direction, ethertype,
// protocol, port range, remote), plus a stable key that names its child resource.
import { parseCidr } from "./cidr";
import { ArgsProblems } from "../errors";
import type { SecurityRuleArgs } from "./security-profile-args";

/**
 * A compact rule as normalizeRules checks it: SecurityRuleArgs with the remote group's ID (an
 * Input, passed to the rule resource as given) reduced to whether there is one.
 */
export type SecurityRuleSpec = Omit<SecurityRuleArgs, "remoteGroupId"> & {
  /** True when the remote is another security group (its ID is passed separately). */
  hasRemoteGroup?: boolean;
};

export interface NormalizedRule {
  /** Stable, unique within the profile; used in the child resource's name. */
  key: string;
  direction: "ingress" | "egress";
  ethertype: "IPv4";
  /** undefined = any protocol. */
  protocol?: "tcp" | "udp" | "icmp";
  portRangeMin?: number;
  portRangeMax?: number;
  remoteIpPrefix?: string;
  remote: "cidr" | "group" | "self" | "any";
  description?: string;
  /** Index in the caller's list (to find the remote group ID). */
  index: number;
}

/** Ports whose exposure to the whole internet is refused unless allowFromAnywhere is set. */
export const SENSITIVE_PORTS: ReadonlyMap<number, string> = new Map([
  [22, "SSH"],
  [3389, "RDP"],
  [5900, "VNC"],
  [3306, "MySQL"],
  [5432, "PostgreSQL"],
]);

/**
 * Added to the description of a world-open ingress rule declared with allowFromAnywhere, so
 * the policy pack (no-world-open-admin-ingress) sees the same opt-in the code review saw.
 */
export const WORLD_OPEN_MARKER = "[world-open:intended]";

const isPort = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * Validates and normalises rules, dropping exact duplicates (Neutron refuses them with 409).
 * Every rule is checked (for each, its direction and the first other thing wrong with it); with
 * `problems` given they are added there under `prefix` and the caller throws, otherwise one
 * ComponentArgsError lists them all.
 */
export function normalizeRules(
  component: string,
  rules: SecurityRuleSpec[],
  problems?: ArgsProblems,
  prefix = "rules",
): NormalizedRule[] {
  const collected = problems ?? new ArgsProblems(component);
  const out: NormalizedRule[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    const field = (f: string) => `${prefix}[${i}].${f}`;
    const bad = (f: string, value: unknown, problem: string): void => collected.add(field(f), value, problem);

    const direction = rule.direction ?? "ingress";
    if (direction !== "ingress" && direction !== "egress")
      bad("direction", rule.direction, 'is not "ingress" or "egress"');

    const protocolText = rule.protocol;
    if (!["tcp", "udp", "icmp", "any"].includes(protocolText)) {
      return bad("protocol", protocolText, 'is not one of "tcp", "udp", "icmp", "any"');
    }
    const protocol = protocolText === "any" ? undefined : (protocolText as "tcp" | "udp" | "icmp");

    let min: number | undefined;
    let max: number | undefined;
    if (protocol === "tcp" || protocol === "udp") {
      if (rule.port !== undefined && (rule.fromPort !== undefined || rule.toPort !== undefined)) {
        return bad("port", rule.port, "is set together with fromPort/toPort; use one form");
      }
      if (rule.port !== undefined) {
        if (!isPort(rule.port)) return bad("port", rule.port, "is not a port number 1-65535");
        min = max = rule.port;
      } else if (rule.fromPort !== undefined || rule.toPort !== undefined) {
        if (!isPort(rule.fromPort)) return bad("fromPort", rule.fromPort, "is not a port number 1-65535");
        if (!isPort(rule.toPort)) return bad("toPort", rule.toPort, "is not a port number 1-65535");
        if (rule.fromPort! > rule.toPort!)
          return bad("fromPort", rule.fromPort, `is greater than toPort ${rule.toPort}`);
        min = rule.fromPort;
        max = rule.toPort;
      }
      if (rule.icmpType !== undefined || rule.icmpCode !== undefined)
        return bad("icmpType", rule.icmpType, `applies to icmp, not ${protocol}`);
    } else if (protocol === "icmp") {
      if (rule.port !== undefined || rule.fromPort !== undefined || rule.toPort !== undefined) {
        return bad("port", rule.port ?? rule.fromPort, "applies to tcp/udp; for icmp use icmpType/icmpCode");
      }
      if (
        rule.icmpType !== undefined &&
        !(Number.isInteger(rule.icmpType) && rule.icmpType >= 0 && rule.icmpType <= 255)
      ) {
        return bad("icmpType", rule.icmpType, "is not an ICMP type 0-255");
      }
      if (rule.icmpCode !== undefined) {
        if (rule.icmpType === undefined) return bad("icmpCode", rule.icmpCode, "needs icmpType");
        if (!(Number.isInteger(rule.icmpCode) && rule.icmpCode >= 0 && rule.icmpCode <= 255))
          return bad("icmpCode", rule.icmpCode, "is not an ICMP code 0-255");
      }
      // The OpenStack provider leaves a 0 out of its request, so Neutron would get no type (all
      // ICMP) or no code (every code of the type): wider than asked. Refuse rather than widen.
      if (rule.icmpType === 0)
        return bad(
          "icmpType",
          0,
          "cannot be sent: the OpenStack provider drops a 0 and the rule would allow all ICMP; leave icmpType out for all ICMP, or allow echo requests (icmpType 8) instead",
        );
      if (rule.icmpCode === 0)
        return bad(
          "icmpCode",
          0,
          "cannot be sent: the OpenStack provider drops a 0 and the rule would allow every code of the type; leave icmpCode out to allow every code",
        );
      // Neutron stores ICMP type/code in the port range fields.
      min = rule.icmpType;
      max = rule.icmpCode;
    } else if (rule.port !== undefined || rule.fromPort !== undefined || rule.toPort !== undefined) {
      return bad("port", rule.port ?? rule.fromPort, 'needs protocol "tcp" or "udp"');
    }

    const remotes = [rule.remoteCidr !== undefined, rule.hasRemoteGroup === true, rule.remoteSelf === true].filter(
      Boolean,
    ).length;
    if (remotes > 1)
      return bad("remoteCidr", rule.remoteCidr, "is combined with a remote group; a rule has one remote");
    let remoteIpPrefix: string | undefined;
    let remote: NormalizedRule["remote"] = "any";
    if (rule.remoteCidr !== undefined) {
      try {
        remoteIpPrefix = parseCidr(rule.remoteCidr).text;
      } catch (e) {
        return bad("remoteCidr", rule.remoteCidr, (e as Error).message.replace(/^"[^"]*" /, ""));
      }
      remote = "cidr";
    } else if (rule.hasRemoteGroup) {
      remote = "group";
      if (!rule.name)
        return bad("name", rule.name, "is required with remoteGroupId, to give the rule a stable resource name");
    } else if (rule.remoteSelf) {
      remote = "self";
    } else if (direction === "ingress") {
      return bad(
        "remoteCidr",
        rule.remoteCidr,
        'is missing: an ingress rule without remoteCidr or a remote group is open to the whole internet; give the clients\' block (or remoteCidr: "0.0.0.0/0" with allowFromAnywhere: true)',
      );
    }

    const world = remoteIpPrefix !== undefined && parseCidr(remoteIpPrefix).prefix === 0;
    if (world && direction === "ingress" && !rule.allowFromAnywhere) {
      const covers = (p: number) => min !== undefined && max !== undefined && min <= p && p <= max;
      const sensitive =
        protocol === undefined ||
        (protocol === "tcp" && (min === undefined || [...SENSITIVE_PORTS.keys()].some(covers)));
      if (sensitive) {
        const what =
          protocol === undefined
            ? "all protocols"
            : min === undefined
              ? "all TCP ports"
              : [...SENSITIVE_PORTS.entries()]
                  .filter(([p]) => covers(p))
                  .map(([p, n]) => `${n} (${p})`)
                  .join(", ");
        return bad(
          "remoteCidr",
          rule.remoteCidr,
          `opens ${what} to the whole internet; restrict it to your clients' block, or set allowFromAnywhere: true if that is really intended`,
        );
      }
    }

    if (direction !== "ingress" && direction !== "egress") return; // reported above
    const ports =
      protocol === "icmp"
        ? min === undefined
          ? ""
          : `-type${min}${max === undefined ? "" : `-code${max}`}`
        : min === undefined
          ? ""
          : min === max
            ? `-${min}`
            : `-${min}-${max}`;
    const remoteKey =
      remote === "cidr" ? remoteIpPrefix!.replace("/", "_") : remote === "group" ? `group-${rule.name}` : remote;
    const key = `${direction === "ingress" ? "in" : "out"}-${protocol ?? "any"}${ports}-${remoteKey}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({
      key,
      direction,
      ethertype: "IPv4",
      protocol,
      portRangeMin: min,
      // ICMP with a type and no code: the Terraform OpenStack provider (3.x) wants both range
      // fields together, and it omits a 0 from its request (omitempty), so max 0 sends only the
      // type and Neutron stores "this type, any code", as the rule asks. Reading it back gives 0
      // again, so there is no drift.
      portRangeMax: protocol === "icmp" && min !== undefined && max === undefined ? 0 : max,
      remoteIpPrefix,
      remote,
      description:
        world && direction === "ingress" && rule.allowFromAnywhere
          ? [rule.description, WORLD_OPEN_MARKER].filter(Boolean).join(" ")
          : rule.description,
      index: i,
    });
  });
  if (!problems) collected.throwIfAny();
  return out;
}
