// Topology → Mermaid flowchart, in the spirit of Horizon's network topology: networks as bars
// (external ones on top), routers joining them, servers hanging off the networks they have ports
// on, floating IPs as dotted links from the external network, security groups listing openings.
import { Topology, TopoServer } from "./topology";

const label = (lines: string[]) =>
  `"${lines
    .filter((l) => l !== "")
    .map((l) => l.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;"))
    .join("<br/>")}"`;

export function serverTitle(s: TopoServer): string {
  return s.count > 1 ? `${s.name} … ${s.lastName} (×${s.count})` : s.name;
}

export function renderMermaid(topology: Topology, title?: string): string {
  // Short stable node IDs (net1, router1, server1, ...) in topology order: readable source.
  const ids = new Map<string, string>();
  const counters = new Map<string, number>();
  const id = (prefix: string, raw: string) => {
    const key = `${prefix}:${raw}`;
    if (!ids.has(key)) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      ids.set(key, `${prefix}${n}`);
    }
    return ids.get(key)!;
  };
  const out: string[] = [];
  if (title) out.push("---", `title: ${title}`, "---");
  out.push("flowchart TB");
  for (const h of topology.hosts) {
    out.push(
      `  ${id("host", h.address)}[/${label([`host ${h.address}`, `${h.steps} remote step${h.steps === 1 ? "" : "s"} over SSH`])}/]:::host`,
    );
  }
  for (const m of topology.migrations) {
    const from = id("cloud", `${m.name}:source`);
    const to = id("cloud", `${m.name}:target`);
    out.push(`  ${from}[(${label([`cloud ${m.sourceCloud}`, `server ${m.sourceServer}`])})]:::migration`);
    out.push(
      `  ${to}[(${label([`cloud ${m.targetCloud}`, `server ${m.targetServer}`, m.network ? `network ${m.network}` : "", m.floatingIp ? (m.floatingIp === "new" ? "new floating IP" : `floating IP ${m.floatingIp}`) : ""])})]:::migration`,
    );
    out.push(
      `  ${from} ==>|${label(["snapshot → image (MD5 + sha512 checked)", "keypair, flavor, group rules"])}| ${to}`,
    );
  }
  const externalIds = new Set(topology.networks.filter((n) => n.external).map((n) => n.id));
  for (const n of topology.networks) {
    const cidrs = n.subnets.map((s) => s.cidr).filter(Boolean);
    out.push(
      `  ${id("net", n.id)}[[${label([`${n.name}${n.external ? " (external)" : ""}`, ...cidrs])}]]:::${n.external ? "external" : "network"}`,
    );
  }
  for (const r of topology.routers) {
    out.push(`  ${id("router", r.id)}{{${label([`router ${r.name}`])}}}:::router`);
    if (r.externalNetworkId)
      out.push(`  ${id("net", r.externalNetworkId)} ---|${label([r.externalIp ?? "gateway"])}| ${id("router", r.id)}`);
    for (const i of r.interfaces) out.push(`  ${id("router", r.id)} ---|${label([i.ip])}| ${id("net", i.networkId)}`);
  }
  const groupNames = new Map(topology.groups.map((g) => [g.id, g.name]));
  for (const s of topology.servers) {
    const groups = s.groupIds.map((g) => groupNames.get(g) ?? g);
    out.push(
      `  ${id("server", s.id)}[${label([serverTitle(s), `${s.flavor} · ${s.image}`, ...(groups.length ? [`groups: ${groups.join(", ")}`] : [])])}]:::server`,
    );
    for (const a of s.attachments) out.push(`  ${id("net", a.networkId)} ---|${label([a.ip])}| ${id("server", s.id)}`);
    const external = [...externalIds][0];
    for (const f of s.floatingIps) {
      if (external) out.push(`  ${id("net", external)} -.->|${label([`floating ${f}`])}| ${id("server", s.id)}`);
    }
  }
  for (const p of topology.ports) {
    out.push(`  ${id("port", p.id)}([${label([`port ${p.name}`])}]):::port`);
    out.push(`  ${id("net", p.attachment.networkId)} ---|${label([p.attachment.ip])}| ${id("port", p.id)}`);
  }
  for (const g of topology.groups) {
    const users = [
      ...topology.servers.filter((s) => s.groupIds.includes(g.id)).map((s) => id("server", s.id)),
      ...topology.ports.filter((p) => p.groupIds.includes(g.id)).map((p) => id("port", p.id)),
    ];
    out.push(
      `  ${id("sg", g.id)}>${label([`security group ${g.name}`, ...(g.openings.length ? g.openings.map((o) => `in: ${o}`) : ["no ingress"])])}]:::group`,
    );
    for (const u of users) out.push(`  ${id("sg", g.id)} -.- ${u}`);
  }
  out.push(
    "  classDef external fill:#fde2e2,stroke:#c0392b,color:#000",
    "  classDef network fill:#dbeafe,stroke:#1d4ed8,color:#000",
    "  classDef router fill:#fef3c7,stroke:#b45309,color:#000",
    "  classDef server fill:#ecfdf5,stroke:#047857,color:#000",
    "  classDef port fill:#f3f4f6,stroke:#6b7280,color:#000",
    "  classDef group fill:#f5f3ff,stroke:#6d28d9,color:#000",
    "  classDef host fill:#e5e7eb,stroke:#111827,color:#000",
    "  classDef migration fill:#fff7ed,stroke:#c2410c,color:#000",
  );
  return out.join("\n") + "\n";
}
