// Topology → standalone SVG laid out like Horizon's network topology: one vertical bar per
// network (external first), each router or server a box in its own row, joined to every network
// it has an address on by a line ending in a dot on that bar, labelled with the address.
import { serverTitle } from "./mermaid";
import { Topology } from "./topology";

const BAR_GAP = 230;
const BAR_WIDTH = 14;
const LEFT = 40;
const TOP = 70;
const BOX_WIDTH = 190;
const LINE = 14;
const PALETTE = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Row { kind: "router" | "server" | "port"; lines: string[]; links: { networkId: string; ip: string; dashed?: boolean }[]; }

export function renderSvg(topology: Topology, title = "topology"): string {
  const barX = new Map<string, number>();
  topology.networks.forEach((n, i) => barX.set(n.id, LEFT + i * BAR_GAP));
  const color = new Map(topology.networks.map((n, i) => [n.id, n.external ? "#dc2626" : PALETTE[i % PALETTE.length]]));
  const groupNames = new Map(topology.groups.map((g) => [g.id, g]));
  const external = topology.networks.find((n) => n.external);

  const rows: Row[] = [];
  for (const r of topology.routers) {
    rows.push({
      kind: "router",
      lines: [`router ${r.name}`],
      links: [...(r.externalNetworkId ? [{ networkId: r.externalNetworkId, ip: r.externalIp ?? "gateway" }] : []), ...r.interfaces],
    });
  }
  for (const s of topology.servers) {
    const openings = s.groupIds.flatMap((g) => (groupNames.get(g)?.openings ?? []).map((o) => `in: ${o}`));
    rows.push({
      kind: "server",
      lines: [serverTitle(s), `${s.flavor} · ${s.image}`, ...s.floatingIps.map((f) => `floating ${f}`), ...openings],
      links: [...s.attachments, ...(external ? s.floatingIps.map((f) => ({ networkId: external.id, ip: f, dashed: true })) : [])],
    });
  }
  for (const p of topology.ports) {
    rows.push({ kind: "port", lines: [`port ${p.name}`, ...p.floatingIps.map((f) => `floating ${f}`)], links: [p.attachment] });
  }

  const parts: string[] = [];
  let y = TOP + 30;
  const rowY: number[] = [];
  for (const row of rows) {
    rowY.push(y);
    y += Math.max(44, 16 + row.lines.length * LINE) + 22;
  }
  const height = y + 20;
  const width = LEFT + Math.max(1, topology.networks.length) * BAR_GAP + BOX_WIDTH;

  // Network bars with their names and CIDRs on top.
  for (const n of topology.networks) {
    const x = barX.get(n.id)!;
    parts.push(`<rect class="bar" x="${x}" y="${TOP}" width="${BAR_WIDTH}" height="${height - TOP - 10}" rx="4" fill="${color.get(n.id)}"/>`);
    parts.push(`<text class="net" x="${x}" y="${TOP - 26}">${esc(n.name)}${n.external ? " (external)" : ""}</text>`);
    parts.push(`<text class="cidr" x="${x}" y="${TOP - 10}">${esc(n.subnets.map((s) => s.cidr).join(", "))}</text>`);
  }

  rows.forEach((row, i) => {
    const top = rowY[i];
    const boxHeight = Math.max(44, 16 + row.lines.length * LINE);
    const xs = row.links.map((l) => barX.get(l.networkId)).filter((x): x is number => x !== undefined);
    const leftmost = xs.length ? Math.min(...xs) : LEFT;
    const boxX = leftmost + BAR_WIDTH + 40;
    const midY = top + 20;
    for (const link of row.links) {
      const x = barX.get(link.networkId);
      if (x === undefined) continue;
      const cx = x + BAR_WIDTH / 2;
      const toX = cx < boxX ? boxX : boxX + BOX_WIDTH;
      parts.push(`<line x1="${cx}" y1="${midY}" x2="${toX}" y2="${midY}" stroke="${color.get(link.networkId)}" stroke-width="2"${link.dashed ? ' stroke-dasharray="5 4"' : ""}/>`);
      parts.push(`<circle cx="${cx}" cy="${midY}" r="5" fill="#fff" stroke="${color.get(link.networkId)}" stroke-width="2"/>`);
      parts.push(`<text class="ip" x="${cx + 8}" y="${midY - 5}">${esc(link.ip)}</text>`);
    }
    parts.push(`<rect class="${row.kind}" x="${boxX}" y="${top}" width="${BOX_WIDTH}" height="${boxHeight}" rx="6"/>`);
    row.lines.forEach((line, j) => {
      parts.push(`<text class="${j === 0 ? "title" : "detail"}" x="${boxX + 8}" y="${top + 16 + j * LINE}">${esc(line)}</text>`);
    });
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    "<style>",
    ".net{font-size:13px;font-weight:bold}.cidr{font-size:11px;fill:#374151}.ip{font-size:10px;fill:#111827}",
    ".title{font-size:12px;font-weight:bold}.detail{font-size:10px;fill:#374151}",
    ".router{fill:#fef3c7;stroke:#b45309}.server{fill:#ecfdf5;stroke:#047857}.port{fill:#f3f4f6;stroke:#6b7280}",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
