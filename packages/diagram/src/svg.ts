// Topology → standalone SVG laid out like Horizon's network topology: one vertical bar per
// network (external first), each router or server a box in its own row, joined to every network
// it has an address on by a line ending in a dot on that bar, labelled with the address.
import { serverTitle } from "./mermaid";
import { Topology } from "./topology";

const BAR_WIDTH = 14;
/** Room between a bar and a box for the address label. */
const LABEL_GAP = 95;
const BOX_WIDTH = 200;
/** A box fits between two bars with room for labels on both sides. */
const BAR_GAP = BAR_WIDTH + 2 * LABEL_GAP + BOX_WIDTH;
const LEFT = 40;
const TOP = 70;
const LINE = 14;
const PALETTE = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

/** Cuts a line to what fits the box (about 7 px per character at these sizes). */
const fit = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** "192.168.50.2 … 192.168.50.201" → "192.168.50.2 … .201". */
function shortRange(range: string): string {
  const [first, last] = range.split(" … ");
  const a = first.split(".");
  const b = (last ?? "").split(".");
  let same = 0;
  while (same < 3 && a[same] === b[same]) same++;
  return same > 0 && b.length === 4 ? `${first} … .${b.slice(same).join(".")}` : range;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Row {
  kind: "host" | "migration" | "router" | "server" | "port";
  lines: string[];
  links: { networkId: string; ip: string; dashed?: boolean }[];
}

export function renderSvg(topology: Topology, title = "topology"): string {
  const barX = new Map<string, number>();
  topology.networks.forEach((n, i) => barX.set(n.id, LEFT + i * BAR_GAP));
  const color = new Map(topology.networks.map((n, i) => [n.id, n.external ? "#dc2626" : PALETTE[i % PALETTE.length]]));
  const groupNames = new Map(topology.groups.map((g) => [g.id, g]));
  const external = topology.networks.find((n) => n.external);

  const rows: Row[] = [];
  for (const h of topology.hosts) {
    rows.push({
      kind: "host",
      lines: [`host ${h.address}`, `${h.steps} remote step${h.steps === 1 ? "" : "s"} over SSH`],
      links: [],
    });
  }
  for (const m of topology.migrations) {
    rows.push({
      kind: "migration",
      lines: [
        `migrate ${m.sourceServer} (${m.sourceCloud})`,
        `→ ${m.targetServer} (${m.targetCloud})`,
        "snapshot → image, MD5 + sha512 checked",
        ...(m.network ? [`network ${m.network}`] : []),
        ...(m.floatingIp ? [m.floatingIp === "new" ? "new floating IP" : `floating IP ${m.floatingIp}`] : []),
      ],
      links: [],
    });
  }
  for (const r of topology.routers) {
    rows.push({
      kind: "router",
      lines: [`router ${r.name}`],
      links: [
        ...(r.externalNetworkId ? [{ networkId: r.externalNetworkId, ip: r.externalIp ?? "gateway" }] : []),
        ...r.interfaces,
      ],
    });
  }
  for (const s of topology.servers) {
    const openings = s.groupIds.flatMap((g) => (groupNames.get(g)?.openings ?? []).map((o) => `in: ${o}`));
    // A pool's address range is too long for a link label: the label shows the first, the box the range.
    const ranges = s.attachments.filter((a) => a.ip.includes(" … ")).map((a) => `addresses ${shortRange(a.ip)}`);
    const title = s.count > 1 ? [s.name, `… ${s.lastName} (×${s.count})`] : [serverTitle(s)];
    rows.push({
      kind: "server",
      lines: [
        ...title,
        `${s.flavor} · ${s.image}`,
        ...ranges,
        ...s.floatingIps.map((f) => `floating ${f}`),
        ...openings,
      ],
      links: [
        ...s.attachments.map((a) => ({
          networkId: a.networkId,
          ip: a.ip.includes(" … ") ? `${a.ip.split(" … ")[0]} …` : a.ip,
        })),
        ...(external ? s.floatingIps.map((f) => ({ networkId: external.id, ip: f, dashed: true })) : []),
      ],
    });
  }
  for (const p of topology.ports) {
    rows.push({
      kind: "port",
      lines: [`port ${p.name}`, ...p.floatingIps.map((f) => `floating ${f}`)],
      links: [p.attachment],
    });
  }

  const parts: string[] = [];
  let y = TOP + 30;
  const rowY: number[] = [];
  for (const row of rows) {
    rowY.push(y);
    y += Math.max(44, 16 + row.lines.length * LINE) + 22;
  }
  const height = y + 20;
  const width = LEFT + Math.max(1, topology.networks.length - 1) * BAR_GAP + BAR_WIDTH + LABEL_GAP + BOX_WIDTH + 30;

  // Network bars with their names and CIDRs on top.
  for (const n of topology.networks) {
    const x = barX.get(n.id)!;
    parts.push(
      `<rect class="bar" x="${x}" y="${TOP}" width="${BAR_WIDTH}" height="${height - TOP - 10}" rx="4" fill="${color.get(n.id)}"/>`,
    );
    parts.push(`<text class="net" x="${x}" y="${TOP - 26}">${esc(n.name)}${n.external ? " (external)" : ""}</text>`);
    parts.push(`<text class="cidr" x="${x}" y="${TOP - 10}">${esc(n.subnets.map((s) => s.cidr).join(", "))}</text>`);
  }

  rows.forEach((row, i) => {
    const top = rowY[i];
    const boxHeight = Math.max(44, 16 + row.lines.length * LINE);
    // The box sits right of the leftmost network it has a fixed address on (floating IPs are
    // dashed lines from the external bar and do not move it).
    const fixed = row.links
      .filter((l) => !l.dashed)
      .map((l) => barX.get(l.networkId))
      .filter((x): x is number => x !== undefined);
    const any = row.links.map((l) => barX.get(l.networkId)).filter((x): x is number => x !== undefined);
    const leftmost = fixed.length ? Math.min(...fixed) : any.length ? Math.min(...any) : LEFT;
    const boxX = leftmost + BAR_WIDTH + LABEL_GAP;
    const midY = top + 20;
    for (const link of row.links) {
      const y = link.dashed ? midY + 12 : midY; // floating IPs below the fixed-address line
      const x = barX.get(link.networkId);
      if (x === undefined) continue;
      const cx = x + BAR_WIDTH / 2;
      const toX = cx < boxX ? boxX : boxX + BOX_WIDTH;
      // A dashed floating-IP line from a bar left of the box passes behind the bars in between.
      parts.push(
        `<line x1="${cx}" y1="${y}" x2="${toX}" y2="${y}" stroke="${color.get(link.networkId)}" stroke-width="2"${link.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
      );
      parts.push(
        `<circle cx="${cx}" cy="${y}" r="5" fill="#fff" stroke="${color.get(link.networkId)}" stroke-width="2"/>`,
      );
      const leftOfBox = cx < boxX;
      parts.push(
        leftOfBox
          ? `<text class="ip" x="${cx + 9}" y="${y - 5}">${esc(link.ip)}</text>`
          : `<text class="ip" x="${cx - 9}" y="${y - 5}" text-anchor="end">${esc(link.ip)}</text>`,
      );
    }
    parts.push(`<rect class="${row.kind}" x="${boxX}" y="${top}" width="${BOX_WIDTH}" height="${boxHeight}" rx="6"/>`);
    row.lines.forEach((line, j) => {
      parts.push(
        `<text class="${j === 0 ? "title" : "detail"}" x="${boxX + 8}" y="${top + 16 + j * LINE}">${esc(fit(line, j === 0 ? 27 : 36))}</text>`,
      );
    });
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    "<style>",
    ".net{font-size:13px;font-weight:bold}.cidr{font-size:11px;fill:#374151}.ip{font-size:10px;fill:#111827}",
    ".title{font-size:12px;font-weight:bold}.detail{font-size:10px;fill:#374151}",
    ".host{fill:#e5e7eb;stroke:#111827}.migration{fill:#fff7ed;stroke:#c2410c}.router{fill:#fef3c7;stroke:#b45309}.server{fill:#ecfdf5;stroke:#047857}.port{fill:#f3f4f6;stroke:#6b7280}",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
