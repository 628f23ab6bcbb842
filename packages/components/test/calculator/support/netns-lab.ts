// Builds a LabTopology with real Linux network namespaces (root only): one namespace per
// network holding a bridge (the "switch"), one per router with its interfaces and IP
// forwarding, one per server at its fixed IP with the routes DHCP would hand it (default via
// the subnet's gateway plus the subnet's host routes), a client on the external network, and
// a DNAT/SNAT pair in the floating IP's router playing Neutron's floating IP, and each gateway
// router's default SNAT as one of Neutron's two backends does it (RouterSnat). Every namespace
// is named calc-* (the calculator's share of this machine's address plan).
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunningServer, startServer } from "../../../../calculator/test/support/processes";
import { formatIpv4, hostRange, parseCidr, parseIpv4 } from "../../../src/network/cidr";
import { LabNetwork, LabServer, LabTopology } from "./topology-from-resources";

export const CLIENT_NAMESPACE = "calc-client";

/**
 * Which source addresses a router with an external gateway SNATs to its gateway address (floating
 * IPs aside), as Neutron's backends do it:
 *
 * - "ovs" (ML2/OVS, the L3 agent): everything that leaves the gateway device, whatever subnet it
 *   comes from — the agent's `-o qg-… -j SNAT --to-source <gateway IP>` rule. A subnet reached
 *   through another router (a static route on this one) is SNATed too.
 * - "ovn" (ML2/OVN with Neutron's `[ovn] ovn_router_indirect_snat = false`, its default): one OVN
 *   `snat` NAT rule per subnet attached to the router, `logical_ip` = that subnet's CIDR
 *   (openstack/neutron, neutron/plugins/ml2/drivers/ovn/mech_driver/ovsdb/ovn_client.py,
 *   `_get_snat_cidrs_for_external_router`: "nat rule per attached subnet per external ip"; only
 *   with the option true does it add one rule for 0.0.0.0/0 — ovn_conf.py: "Whether to configure
 *   SNAT for all nested subnets connected to the router through any other routers, similar to the
 *   default ML2/OVS behavior. Defaults to False"). OVN turns each rule into an `lr_out_snat` flow
 *   matching `ip4.src == <logical_ip> && outport == <gateway port>` → `ct_snat(<external IP>)`;
 *   any other packet falls through to the priority-0 `next;` and is routed out with its own,
 *   private source address (flows quoted in ovn-org/ovn issue #116; the nested-router case is
 *   ovn-org/ovn issue #274). So the packet leaves, and the answer has no way back.
 *
 * The lab's rule is that flow: `ip saddr { <the router's interface subnets> } oifname "qg"
 * snat`. The CIDRs are those of the networks the topology attaches to the router, nothing typed in.
 */
export type RouterSnat = "ovs" | "ovn";

/** Why this machine cannot run the lab, or undefined when it can. */
export function netnsLabUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (ip netns, veth, nft)";
  for (const tool of ["ip", "nft", "unshare", "mount"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (Debian: iproute2, nftables, util-linux, mount)`;
  }
  const probe = spawnSync("ip", ["netns", "add", "calc-probe"], { encoding: "utf8" });
  if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", "calc-probe"]);
  return undefined;
}

function sh(args: string[]): string {
  try {
    return execFileSync(args[0], args.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface ClientAnswer {
  status: number;
  body: string;
  json: any;
  error?: string;
}

export class NetnsLab {
  readonly namespaces: string[] = [];
  /** Namespace of each server, by server name. */
  readonly serverNamespace = new Map<string, string>();
  readonly routerNamespace = new Map<string, string>();
  readonly running: RunningServer[] = [];
  readonly log: string[] = [];
  clientIp = "";
  private switchOf = new Map<string, string>();
  private peerCount = 0;
  private tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "calc-netns-"));

  constructor(
    readonly topology: LabTopology,
    readonly routerSnat: RouterSnat = "ovs",
  ) {}

  private run(args: string[]): string {
    this.log.push(args.join(" "));
    return sh(args);
  }

  private addNamespace(name: string): string {
    if (name.length > 15) throw new Error(`namespace name ${name} is too long`);
    // A crashed earlier run may have left it behind; these names are ours (calc-*).
    spawnSync("ip", ["netns", "del", name]);
    this.run(["ip", "netns", "add", name]);
    this.namespaces.push(name);
    this.run(["ip", "-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  private network(networkId: string): LabNetwork {
    const net = this.topology.networks.find((n) => n.id === networkId);
    if (!net) throw new Error(`no network ${networkId} in the topology`);
    return net;
  }

  /** Plugs `ns` into the network's switch as interface `ifname` with `ip`. */
  private plug(ns: string, ifname: string, networkId: string, ip: string): void {
    const sw = this.switchOf.get(networkId)!;
    const peer = `p${this.peerCount++}`;
    this.run(["ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", peer, "netns", sw]);
    this.run(["ip", "-n", sw, "link", "set", peer, "master", "br0", "up"]);
    const prefix = parseCidr(this.network(networkId).cidr).prefix;
    this.run(["ip", "-n", ns, "addr", "add", `${ip}/${prefix}`, "dev", ifname]);
    this.run(["ip", "-n", ns, "link", "set", ifname, "up"]);
  }

  up(): void {
    const t = this.topology;
    const networkIds = [...new Set(t.networks.map((n) => n.id))];
    networkIds.forEach((id, i) => {
      const sw = this.addNamespace(`calc-sw${i}`);
      this.run(["ip", "-n", sw, "link", "add", "br0", "type", "bridge"]);
      this.run(["ip", "-n", sw, "link", "set", "br0", "up"]);
      this.switchOf.set(id, sw);
    });

    t.routers.forEach((router, i) => {
      const ns = this.addNamespace(`calc-rt${i}`);
      this.routerNamespace.set(router.name, ns);
      // Per-namespace setting; written through /proc so procps (sysctl) is not needed.
      this.run(["ip", "netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
      router.interfaces.forEach((itf, j) => this.plug(ns, `qr${j}`, itf.networkId, itf.ip));
      if (router.external) {
        this.plug(ns, "qg", router.external.networkId, router.external.ip);
        const gw = this.network(router.external.networkId).gatewayIp;
        if (gw) this.run(["ip", "-n", ns, "route", "add", "default", "via", gw]);
      }
      for (const route of router.routes) {
        this.run(["ip", "-n", ns, "route", "replace", route.destinationCidr, "via", route.nextHop]);
      }
    });

    t.servers.forEach((server, i) => {
      const ns = this.addNamespace(`calc-vm${i}`);
      this.serverNamespace.set(server.name, ns);
      this.plug(ns, "eth0", server.networkId, server.ip);
      // What the subnet's DHCP hands out: the default route and the host routes (option 121).
      const net = this.network(server.networkId);
      if (net.gatewayIp) this.run(["ip", "-n", ns, "route", "add", "default", "via", net.gatewayIp]);
      for (const route of net.hostRoutes)
        this.run(["ip", "-n", ns, "route", "add", route.destinationCidr, "via", route.nextHop]);
    });

    for (const fip of t.floatingIps) {
      const ns = this.routerNamespace.get(fip.routerName)!;
      // Neutron's L3 agent: the floating IP on the gateway device, DNAT in, SNAT out.
      this.run(["ip", "-n", ns, "addr", "add", `${fip.address}/32`, "dev", "qg"]);
      const rules = [
        "table ip calc_fip {",
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        `    ip daddr ${fip.address} dnat to ${fip.fixedIp}`,
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        `    ip saddr ${fip.fixedIp} oifname "qg" snat to ${fip.address}`,
        "  }",
        "}",
      ].join("\n");
      const file = path.join(this.tempDir, `fip-${fip.address}.nft`);
      fs.writeFileSync(file, rules + "\n");
      this.run(["ip", "netns", "exec", ns, "nft", "-f", file]);
    }

    // The router's default SNAT (RouterSnat; floating IPs above win: the first NAT rule that
    // matches decides).
    t.routers.forEach((router) => {
      if (!router.external) return;
      const ns = this.routerNamespace.get(router.name)!;
      const attached = [...new Set(router.interfaces.map((i) => this.network(i.networkId).cidr))];
      const match = this.routerSnat === "ovs" ? "" : `ip saddr { ${attached.join(", ")} } `;
      if (this.routerSnat === "ovn" && attached.length === 0) return;
      const file = path.join(this.tempDir, `snat-${ns}.nft`);
      fs.writeFileSync(
        file,
        [
          "table ip calc_snat {",
          "  chain postrouting {",
          "    type nat hook postrouting priority srcnat + 10; policy accept;",
          `    ${match}oifname "qg" snat to ${router.external.ip}`,
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      this.run(["ip", "netns", "exec", ns, "nft", "-f", file]);
    });

    const external = t.networks.find((n) => t.routers.some((r) => r.external?.networkId === n.id));
    if (!external) throw new Error("the topology has no external network (no router with a gateway)");
    const used = new Set([
      ...t.routers.flatMap((r) => (r.external ? [r.external.ip] : [])),
      ...t.floatingIps.map((f) => f.address),
      ...(external.gatewayIp ? [external.gatewayIp] : []),
    ]);
    let candidate = parseIpv4(hostRange(external.cidr).last);
    while (used.has(formatIpv4(candidate))) candidate--;
    this.clientIp = formatIpv4(candidate);
    this.addNamespace(CLIENT_NAMESPACE);
    this.plug(CLIENT_NAMESPACE, "eth0", external.id, this.clientIp);
  }

  /**
   * Starts a server's service with its unit's ExecStart, verbatim, in its namespace. The
   * files its user data writes are put in place inside a private mount namespace (a tmpfs
   * over the install directory's top level), so the host's /opt is never touched.
   */
  startServer(server: LabServer): Promise<RunningServer> {
    const ns = this.serverNamespace.get(server.name)!;
    const staged = path.join(this.tempDir, server.name);
    const program = server.files.filter((f) => !f.path.startsWith("/etc/"));
    for (const file of program) {
      const target = path.join(staged, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content);
    }
    const tops = [...new Set(program.map((f) => "/" + f.path.split("/")[1]))];
    const script = [
      ...tops.map((top) => `mount -t tmpfs calc-lab ${top}`),
      ...program.map((f) => `mkdir -p ${path.dirname(f.path)} && cp ${path.join(staged, f.path)} ${f.path}`),
      'exec "$@"',
    ].join(" && ");
    this.log.push(`[${ns}] ${server.execStart.join(" ")}`);
    return startServer(
      server.name,
      ["ip", "netns", "exec", ns, "sh", "-c", script, "sh", ...server.execStart],
      15000,
    ).then((s) => {
      this.running.push(s);
      return s;
    });
  }

  /** One HTTP request from the client namespace (a Node one-liner, so no curl is needed). */
  clientRequest(
    method: string,
    url: string,
    body?: unknown,
    timeoutMs = 15000,
    namespace = CLIENT_NAMESPACE,
  ): Promise<ClientAnswer> {
    const script = `
      const http = require("node:http");
      const [method, url, body] = process.argv.slice(1);
      const req = http.request(url, { method, agent: false, timeout: ${timeoutMs} }, (res) => {
        let text = ""; res.on("data", (c) => text += c);
        res.on("end", () => console.log(JSON.stringify({ status: res.statusCode, body: text })));
      });
      req.on("timeout", () => req.destroy(new Error("client timeout")));
      req.on("error", (e) => console.log(JSON.stringify({ status: 0, body: "", error: e.code || e.message })));
      req.end(body || undefined);`;
    const args = [
      "netns",
      "exec",
      namespace,
      process.execPath,
      "-e",
      script,
      method,
      url,
      body === undefined ? "" : JSON.stringify(body),
    ];
    return new Promise((resolve, reject) => {
      execFile("ip", args, { encoding: "utf8", timeout: timeoutMs + 5000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`client request failed: ${stderr || err.message}`));
        const answer = JSON.parse(stdout.trim()) as ClientAnswer;
        try {
          answer.json = JSON.parse(answer.body);
        } catch {
          answer.json = undefined;
        }
        resolve(answer);
      });
    });
  }

  /** Starts any listening process in a namespace (stopped by `down`). */
  async startIn(namespace: string, label: string, argv: string[]): Promise<RunningServer> {
    const s = await startServer(label, ["ip", "netns", "exec", namespace, ...argv], 15000);
    this.running.push(s);
    return s;
  }

  /**
   * Counts the packets from `cidr` that reach the client namespace (the lab's outside), with an
   * nftables counter installed now; the returned function reads it. Shows a packet that left a
   * router un-NATed (it arrives, its answer cannot go back) apart from one that never left.
   */
  countArrivalsFrom(cidr: string): () => number {
    const table = `calc_seen_${this.peerCount++}`;
    const file = path.join(this.tempDir, `${table}.nft`);
    fs.writeFileSync(
      file,
      [
        `table ip ${table} {`,
        "  chain input {",
        "    type filter hook input priority filter; policy accept;",
        `    ip saddr ${parseCidr(cidr).text} counter`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    this.run(["ip", "netns", "exec", CLIENT_NAMESPACE, "nft", "-f", file]);
    return () => {
      const listing = sh(["ip", "netns", "exec", CLIENT_NAMESPACE, "nft", "list", "table", "ip", table]);
      const packets = /counter packets (\d+)/.exec(listing);
      if (!packets) throw new Error(`no counter in ${table}:\n${listing}`);
      return Number(packets[1]);
    };
  }

  /** Stops every process by pid, deletes every namespace (and with them all veths). */
  async down(): Promise<void> {
    await Promise.all(this.running.map((s) => s.stop()));
    for (const ns of this.namespaces.reverse()) spawnSync("ip", ["netns", "del", ns]);
    fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}
