/**
 * TestLab: the entry point of the test-host library. A lab belongs to one test area (a name
 * prefix such as "dt" and a subnet such as 10.201.0.0/16), creates bridged networks and
 * systemd-nspawn guests in that space, records everything it creates, and removes it all in
 * cleanup() — or, after a crash, the next lab of the same prefix reaps it.
 *
 *   const lab = await TestLab.create({ prefix: "th", subnet: "10.200.0.0/16" });
 *   const net = await lab.network();
 *   const guest = await lab.startGuest({ name: "a", rootfs, network: net });
 *   ...; await lab.cleanup();
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  Ipv4Cidr,
  cidrContains,
  cidrContainsCidr,
  formatIpv4,
  isIpv4,
  nthHost,
  parseCidr,
} from "../../packages/components/src/network/cidr";
import { AptProxy, aptProxyConfig, startAptProxy } from "./apt-proxy";
import { Guest } from "./guest";
import { processAlive, run, sleep, waitFor } from "./process";
import {
  DEFAULT_STATE_ROOT,
  DEFAULT_WORK_ROOT,
  GuestRecord,
  LabRecord,
  processStartTime,
  writeRecord,
} from "./records";
import { Rootfs, capturedLayerDir, rootfsHas, writeCapturedManifest, DEFAULT_CACHE_ROOT } from "./rootfs";
import { SshKeyPair, generateKeyPair } from "./ssh-keys";
import { reapLeftovers, teardownGuest, teardownLab } from "./teardown";

const PREFIX = /^[a-z][a-z0-9]{1,3}$/;
const GUEST_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export interface TestLabOptions {
  /** 2-4 lowercase letters/digits starting with a letter; every netns/link name starts with it. */
  prefix: string;
  /** The IPv4 block reserved for the caller's area, e.g. "10.200.0.0/16"; networks are /24s of it. */
  subnet: string;
  stateRoot?: string;
  workRoot?: string;
  cacheRoot?: string;
  /** Reap leftovers of dead earlier runs with this prefix at creation (default true). */
  reap?: boolean;
}

export interface NetworkOptions {
  /** A CIDR inside the lab's subnet; default: the first free /24. */
  cidr?: string;
  /**
   * Run a forward proxy for Debian's mirrors on the gateway (port 3142) and point guests' apt at
   * it, so apt and cloud-init's `packages:` work in guests, which otherwise have no route out.
   */
  aptProxy?: boolean;
}

export interface TestNetwork {
  /** The bridge on the host; the host has the gateway address on it. */
  bridge: string;
  cidr: string;
  /** The host's address on the bridge (first host of the CIDR); guests' default gateway. */
  gateway: string;
  prefixLength: number;
  /** "http://<gateway>:3142" when the network has an apt proxy. */
  aptProxy?: string;
}

export interface BindMount {
  host: string;
  guest: string;
  readOnly?: boolean;
}

export interface NoCloudSeed {
  userData: string;
  /** NoCloud meta-data (YAML); must contain instance-id. Use nocloudMetaData() to build one. */
  metaData: string;
  /** Optional NoCloud network-config (v1/v2 YAML). By default cloud-init leaves the network alone. */
  networkConfig?: string;
}

export interface StartGuestOptions {
  /** Guest name (lowercase, digits, dashes); unique within the lab. */
  name: string;
  rootfs: Rootfs;
  network: TestNetwork;
  /** "10.200.1.5/24"-style address; default: the next free host of the network. */
  address?: string;
  /** Default route; default: the network's gateway (the host). */
  gateway?: string;
  /** Default: the guest name. An FQDN sets /etc/hostname to it and /etc/hosts maps both forms. */
  hostname?: string;
  /** "systemd" (default): boot with systemd as PID 1. "sshd-only": just sshd, faster, no units. */
  boot?: string;
  binds?: BindMount[];
  /** A NoCloud seed: cloud-init (which must be in the rootfs) runs it at boot. */
  nocloud?: NoCloudSeed;
  /** Mask these units before boot (e.g. ones that cannot work in a container). */
  maskUnits?: string[];
  /**
   * Extra capabilities for the guest, e.g. ["CAP_NET_ADMIN"] for iptables and net sysctls. The
   * guest owns its network namespace, so CAP_NET_ADMIN acts on the guest's network only.
   */
  capabilities?: string[];
  /** Wait for boot (+ ssh) before returning (default true). */
  wait?: boolean;
  /** Boot timeout in ms (default 120 s). */
  timeoutMs?: number;
}

export interface GuestTimings {
  /** Seconds from nspawn start to `is-system-running` = running|degraded. */
  bootSeconds: number;
  /** Seconds from boot complete to the first successful SSH command. */
  sshSeconds: number;
}

/** NoCloud meta-data with an instance-id and hostname. */
export function nocloudMetaData(instanceId: string, hostname: string): string {
  return `instance-id: ${instanceId}\nlocal-hostname: ${hostname}\n`;
}

export class TestLab {
  private readonly guests = new Map<string, Guest>();
  private readonly networks: TestNetwork[] = [];
  private readonly proxies: AptProxy[] = [];

  /** Requests the lab's apt proxies have served so far (proof that packages came from the mirror). */
  aptProxyRequests(): number {
    return this.proxies.reduce((n, p) => n + p.requests(), 0);
  }
  private nextHost = new Map<string, number>();
  private nextInterface = 0;
  /** Boot timings per guest name (for reports and benchmarks). */
  public readonly timings = new Map<string, GuestTimings>();

  private constructor(
    public readonly prefix: string,
    public readonly subnet: Ipv4Cidr,
    public readonly labId: string,
    public readonly clientKey: SshKeyPair,
    private readonly record: LabRecord,
    private readonly stateRoot: string,
    private readonly cacheRoot: string,
  ) {}

  get workDir(): string {
    return this.record.workDir;
  }

  static async create(options: TestLabOptions): Promise<TestLab> {
    if (!PREFIX.test(options.prefix)) {
      throw new Error(
        `TestLab prefix "${options.prefix}" is invalid: use 2-4 lowercase letters/digits starting with a letter (e.g. "dt")`,
      );
    }
    let subnet: Ipv4Cidr;
    try {
      subnet = parseCidr(options.subnet);
    } catch (error) {
      throw new Error(`TestLab subnet: ${(error as Error).message}`, { cause: error });
    }
    if (subnet.prefix > 24)
      throw new Error(
        `TestLab subnet ${options.subnet} is smaller than a /24; give the area's whole block (e.g. 10.201.0.0/16)`,
      );
    const stateRoot = options.stateRoot ?? DEFAULT_STATE_ROOT;
    if (options.reap ?? true) await reapLeftovers(options.prefix, { stateRoot });
    const labId = claimLabId(stateRoot, options.prefix);
    const workDir = path.join(options.workRoot ?? DEFAULT_WORK_ROOT, options.prefix, labId);
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const record: LabRecord = {
      kind: "lab",
      prefix: options.prefix,
      labId,
      ownerPid: process.pid,
      ownerStart: processStartTime(process.pid),
      workDir,
      bridges: [],
      claims: [],
    };
    writeRecord(stateRoot, record);
    const clientKey = await generateKeyPair(path.join(workDir, "keys"), "client", `testlab-${options.prefix}-${labId}`);
    return new TestLab(
      options.prefix,
      subnet,
      labId,
      clientKey,
      record,
      stateRoot,
      options.cacheRoot ?? DEFAULT_CACHE_ROOT,
    );
  }

  /**
   * Creates a bridge with the host's gateway address on it. The host reaches every guest of the
   * network, and guests reach each other, through it.
   */
  async network(options: NetworkOptions = {}): Promise<TestNetwork> {
    const cidr = options.cidr ? parseCidr(options.cidr) : undefined;
    if (cidr && !cidrContainsCidr(this.subnet, cidr)) {
      throw new Error(`network cidr ${options.cidr} is outside the lab's subnet ${this.subnet.text}`);
    }
    const claimed = cidr ? this.claim(cidr) : this.claimFree24();
    const bridge = `${this.prefix}${this.labId}b${this.networks.length}`;
    const gateway = nthHost(claimed, 1);
    this.record.bridges.push(bridge);
    writeRecord(this.stateRoot, this.record);
    await run(["ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
    await run(["ip", "addr", "add", `${gateway}/${claimed.prefix}`, "dev", bridge]);
    await run(["ip", "link", "set", bridge, "up"]);
    const network: TestNetwork = { bridge, cidr: claimed.text, gateway, prefixLength: claimed.prefix };
    if (options.aptProxy) {
      const proxy = await startAptProxy(gateway);
      this.proxies.push(proxy);
      network.aptProxy = proxy.url;
    }
    this.networks.push(network);
    return network;
  }

  private claim(cidr: Ipv4Cidr): Ipv4Cidr {
    const dir = path.join(this.stateRoot, this.prefix);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `net-${formatIpv4(cidr.network)}-${cidr.prefix}.claim`);
    try {
      fs.writeFileSync(file, `${this.labId} ${process.pid}\n`, { flag: "wx" });
    } catch {
      throw new Error(
        `network ${cidr.text} is in use by another lab (${file}); pick another cidr or let the lab choose`,
      );
    }
    this.record.claims.push(file);
    writeRecord(this.stateRoot, this.record);
    return cidr;
  }

  private claimFree24(): Ipv4Cidr {
    const count = 2 ** (24 - this.subnet.prefix);
    for (let i = 0; i < count; i++) {
      const candidate = parseCidr(`${formatIpv4(this.subnet.network + i * 256)}/24`);
      try {
        return this.claim(candidate);
      } catch {
        // taken; try the next one
      }
    }
    throw new Error(
      `no free /24 left in ${this.subnet.text} for prefix ${this.prefix}; clean up other labs (reapLeftovers)`,
    );
  }

  private allocateAddress(network: TestNetwork): string {
    const next = this.nextHost.get(network.cidr) ?? 2;
    this.nextHost.set(network.cidr, next + 1);
    return `${nthHost(network.cidr, next)}/${network.prefixLength}`;
  }

  /** Boots a guest; see StartGuestOptions. Waits for boot and SSH unless wait: false. */
  async startGuest(options: StartGuestOptions): Promise<Guest> {
    const boot = options.boot ?? "systemd";
    if (boot !== "systemd" && boot !== "sshd-only")
      throw new Error(`startGuest ${options.name}: boot "${boot}" must be "systemd" or "sshd-only"`);
    if (!GUEST_NAME.test(options.name))
      throw new Error(
        `startGuest: name "${options.name}" must be lowercase letters, digits and dashes (max 31), starting with a letter`,
      );
    if (this.guests.has(options.name))
      throw new Error(`startGuest: a guest named "${options.name}" already exists in this lab`);
    const hostname = options.hostname ?? options.name;
    if (!HOSTNAME.test(hostname))
      throw new Error(`startGuest ${options.name}: hostname "${hostname}" is not a valid host name`);
    if (!this.networks.includes(options.network))
      throw new Error(`startGuest ${options.name}: the network was not created by this lab`);
    const address = options.address ?? this.allocateAddress(options.network);
    const [ip, lengthText] = address.split("/");
    if (
      !lengthText ||
      Number(lengthText) !== options.network.prefixLength ||
      !isIpv4(ip) ||
      !cidrContains(options.network.cidr, ip) ||
      ip === options.network.gateway
    ) {
      throw new Error(
        `startGuest ${options.name}: address "${address}" must be an address in ${options.network.cidr} with /${options.network.prefixLength}, other than the gateway ${options.network.gateway}`,
      );
    }
    if (!rootfsHas(options.rootfs, "usr/lib/systemd/systemd"))
      throw new Error(`startGuest ${options.name}: ${options.rootfs.dir} is not a built rootfs`);
    if (options.nocloud && !rootfsHas(options.rootfs, "usr/bin/cloud-init")) {
      throw new Error(
        `startGuest ${options.name}: a NoCloud seed needs cloud-init in the rootfs; build it with packages: ["cloud-init"]`,
      );
    }
    for (const bind of options.binds ?? []) {
      if (!path.isAbsolute(bind.host) || !path.isAbsolute(bind.guest) || /[:,]/.test(bind.host + bind.guest)) {
        throw new Error(
          `startGuest ${options.name}: bind ${bind.host} -> ${bind.guest} needs absolute paths without ':' or ','`,
        );
      }
    }
    const gateway = options.gateway ?? options.network.gateway;

    const index = this.nextInterface++;
    const guestDir = path.join(this.workDir, "guests", options.name);
    const rootDir = path.join(guestDir, "root");
    const record: GuestRecord = {
      kind: "guest",
      prefix: this.prefix,
      labId: this.labId,
      name: options.name,
      ownerPid: process.pid,
      ownerStart: processStartTime(process.pid),
      netns: `${this.prefix}${this.labId}-${options.name}`,
      hostInterface: `${this.prefix}${this.labId}h${index}`,
      rootDir,
      guestDir,
    };
    writeRecord(this.stateRoot, record);
    try {
      const hostKey = await this.prepareRoot(record, options.rootfs, {
        hostname,
        ip,
        nocloud: options.nocloud,
        maskUnits: options.maskUnits ?? [],
        aptProxy: options.network.aptProxy,
      });
      await this.plugNetwork(record, index, options.network, address, gateway);
      const consoleLog = path.join(guestDir, "console.log");
      const guest = new Guest(
        options.name,
        hostname,
        ip,
        address,
        record.netns,
        boot,
        rootDir,
        hostKey,
        this.clientKey,
        record,
        this.stateRoot,
        consoleLog,
      );
      this.guests.set(options.name, guest);
      const started = Date.now();
      await this.spawnNspawn(record, boot, options.binds ?? [], consoleLog, options.capabilities ?? []);
      if (options.wait ?? true) {
        const timeoutMs = options.timeoutMs ?? 120_000;
        if (boot === "systemd") await guest.waitForSystem(timeoutMs);
        const booted = Date.now();
        const sshSeconds = await guest.waitForSsh(timeoutMs);
        this.timings.set(options.name, { bootSeconds: (booted - started) / 1000, sshSeconds });
      }
      return guest;
    } catch (error) {
      const guest = this.guests.get(options.name);
      const consoleTail = guest
        ? `\n--- console of ${options.name} ---\n${guest.console().split("\n").slice(-40).join("\n")}`
        : "";
      await teardownGuest(record, this.stateRoot).catch(() => undefined);
      this.guests.delete(options.name);
      if (error instanceof Error) error.message += consoleTail;
      throw error;
    }
  }

  /** Mounts the guest root (overlay on the cached rootfs; a copy if overlay is unavailable) and writes its identity. */
  private async prepareRoot(
    record: GuestRecord,
    rootfs: Rootfs,
    settings: { hostname: string; ip: string; nocloud?: NoCloudSeed; maskUnits: string[]; aptProxy?: string },
  ): Promise<string> {
    const upper = path.join(record.guestDir, "upper");
    const work = path.join(record.guestDir, "work");
    fs.mkdirSync(upper, { recursive: true });
    fs.mkdirSync(work, { recursive: true });
    fs.mkdirSync(record.rootDir, { recursive: true });
    const mounted = await mountOverlay(rootfs.layers, upper, work, record.rootDir);
    if (mounted) {
      record.overlayMount = record.rootDir;
      record.lowerDirs = rootfs.layers;
      record.upperDir = upper;
    } else if (rootfs.layers.length === 1) {
      fs.rmdirSync(record.rootDir);
      await run(["cp", "-a", "--reflink=auto", rootfs.dir, record.rootDir]);
    } else {
      throw new Error(
        `startGuest ${record.name}: overlayfs is unavailable, and ${rootfs.name} is a layered capture that needs it`,
      );
    }
    writeRecord(this.stateRoot, record);
    const root = (p: string) => path.join(record.rootDir, p);

    // Identity: hostname, /etc/hosts.
    const short = settings.hostname.split(".")[0];
    fs.writeFileSync(root("etc/hostname"), `${settings.hostname}\n`);
    const hosts = [
      `127.0.0.1\tlocalhost`,
      `${settings.ip}\t${settings.hostname === short ? short : `${settings.hostname} ${short}`}`,
      `::1\tlocalhost ip6-localhost ip6-loopback`,
      "",
    ];
    fs.writeFileSync(root("etc/hosts"), hosts.join("\n"));

    // sshd: a host key of its own at a path cloud-init's ssh module does not regenerate, and the
    // lab's client key authorized for root (the user's own ~/.ssh files keep working too).
    const hostKeyPair = await generateKeyPair(
      path.join(record.guestDir, "hostkey"),
      "ssh_host_ed25519_key",
      `${record.name}-host`,
    );
    fs.mkdirSync(root("etc/ssh/testhost/authorized_keys"), { recursive: true, mode: 0o755 });
    fs.copyFileSync(hostKeyPair.privateKeyFile, root("etc/ssh/testhost/ssh_host_ed25519_key"));
    fs.chmodSync(root("etc/ssh/testhost/ssh_host_ed25519_key"), 0o600);
    fs.writeFileSync(root("etc/ssh/testhost/ssh_host_ed25519_key.pub"), `${hostKeyPair.publicKey}\n`);
    fs.writeFileSync(root("etc/ssh/testhost/authorized_keys/root"), `${this.clientKey.publicKey}\n`, { mode: 0o644 });
    fs.mkdirSync(root("etc/ssh/sshd_config.d"), { recursive: true });
    fs.writeFileSync(
      root("etc/ssh/sshd_config.d/00-testhost.conf"),
      [
        "# Written by the test-host library (test/hosts): per-guest host key, the test run's key for root.",
        "HostKey /etc/ssh/testhost/ssh_host_ed25519_key",
        "AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/testhost/authorized_keys/%u",
        "",
      ].join("\n"),
    );

    // The host configures the guest's interface before boot; nothing in the guest waits for a
    // network manager (systemd-networkd-wait-online would hold network-online.target ~2 min).
    const masks = ["systemd-networkd-wait-online.service", ...settings.maskUnits];
    for (const unit of masks) {
      const link = root(`etc/systemd/system/${unit}`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync("/dev/null", link);
    }

    // apt through the host's proxy (a file name cloud-init's apt module does not manage).
    const aptProxyFile = root("etc/apt/apt.conf.d/00testhost-proxy");
    if (settings.aptProxy) fs.writeFileSync(aptProxyFile, aptProxyConfig(settings.aptProxy));
    else fs.rmSync(aptProxyFile, { force: true });

    // cloud-init: run the NoCloud seed when given, stay out of the way otherwise.
    if (fs.existsSync(root("usr/bin/cloud-init"))) {
      fs.mkdirSync(root("etc/cloud/cloud.cfg.d"), { recursive: true });
      if (settings.nocloud) {
        const seed = root("var/lib/cloud/seed/nocloud");
        fs.mkdirSync(seed, { recursive: true });
        fs.writeFileSync(path.join(seed, "user-data"), settings.nocloud.userData);
        fs.writeFileSync(path.join(seed, "meta-data"), settings.nocloud.metaData);
        if (settings.nocloud.networkConfig)
          fs.writeFileSync(path.join(seed, "network-config"), settings.nocloud.networkConfig);
        const network = settings.nocloud.networkConfig ? "" : "network: {config: disabled}\n";
        fs.writeFileSync(
          root("etc/cloud/cloud.cfg.d/90-testhost.cfg"),
          `# test-host library: NoCloud seed only\ndatasource_list: [ NoCloud, None ]\n${network}`,
        );
        fs.rmSync(root("etc/cloud/cloud-init.disabled"), { force: true });
      } else {
        fs.writeFileSync(root("etc/cloud/cloud-init.disabled"), "test-host library: no NoCloud seed for this guest\n");
      }
    }
    return hostKeyPair.publicKey;
  }

  private async plugNetwork(
    record: GuestRecord,
    index: number,
    network: TestNetwork,
    address: string,
    gateway: string,
  ): Promise<void> {
    const guestSide = `${this.prefix}${this.labId}g${index}`;
    await run(["ip", "netns", "add", record.netns]);
    await run(["ip", "link", "add", record.hostInterface, "type", "veth", "peer", "name", guestSide]);
    await run(["ip", "link", "set", guestSide, "netns", record.netns]);
    await run(["ip", "-n", record.netns, "link", "set", guestSide, "name", "eth0"]);
    await run(["ip", "-n", record.netns, "addr", "add", address, "dev", "eth0"]);
    await run(["ip", "-n", record.netns, "link", "set", "lo", "up"]);
    await run(["ip", "-n", record.netns, "link", "set", "eth0", "up"]);
    await run(["ip", "-n", record.netns, "route", "add", "default", "via", gateway]);
    await run(["ip", "link", "set", record.hostInterface, "master", network.bridge]);
    await run(["ip", "link", "set", record.hostInterface, "up"]);
  }

  private async spawnNspawn(
    record: GuestRecord,
    boot: string,
    binds: BindMount[],
    consoleLog: string,
    capabilities: string[],
  ): Promise<void> {
    for (const c of capabilities) {
      if (!/^CAP_[A-Z_]+$/.test(c))
        throw new Error(`startGuest ${record.name}: capability "${c}" must look like CAP_NET_ADMIN`);
    }
    const args = [
      "--quiet",
      "--register=no",
      "--keep-unit",
      `--machine=${record.netns}`,
      "-D",
      record.rootDir,
      `--network-namespace-path=/run/netns/${record.netns}`,
      "--resolv-conf=off",
      "--timezone=off",
      ...binds.map((b) => `${b.readOnly ? "--bind-ro" : "--bind"}=${b.host}:${b.guest}`),
      ...(capabilities.length ? [`--capability=${capabilities.join(",")}`] : []),
    ];
    // read-only: nspawn drains the guest's console (a pty) into the log. With "passive" the pty
    // is read by nobody: once its buffer is full, PID 1 blocks writing status lines to
    // /dev/console and the whole guest hangs (seen during package installs: systemctl calls
    // from postinst scripts never returned, "Transport endpoint is not connected").
    if (boot === "systemd") args.push("-b", "--console=read-only");
    else
      args.push(
        "--as-pid2",
        "--console=pipe",
        "--",
        "/bin/sh",
        "-c",
        "mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e",
      );
    const log = fs.openSync(consoleLog, "a");
    const { spawn } = await import("node:child_process");
    // The guest owns its network namespace, so let it write /proc/sys/net (ip_forward for NAT
    // units, bridge sysctls); nspawn otherwise mounts all of /proc/sys read-only here.
    const env = { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: "network" };
    const child = spawn("systemd-nspawn", args, { stdio: ["ignore", log, log], detached: false, env });
    fs.closeSync(log);
    if (!child.pid) throw new Error(`systemd-nspawn did not start for ${record.name}`);
    child.unref();
    record.nspawnPid = child.pid;
    writeRecord(this.stateRoot, record);
    const nspawnPid = child.pid;
    record.leaderPid = await waitFor(
      `PID 1 of guest ${record.name}`,
      20_000,
      async () => {
        if (!processAlive(nspawnPid))
          throw new Error(`systemd-nspawn exited:\n${fs.readFileSync(consoleLog, "utf8").slice(-3000)}`);
        // nspawn forks helpers (an "outer child" in our PID namespace) before the container's
        // PID 1; the leader is the child that is pid 1 in its own PID namespace.
        return childrenOf(nspawnPid).find(isPidNamespaceInit);
      },
      50,
    );
    writeRecord(this.stateRoot, record);
  }

  /**
   * Turns a stopped guest's root into a new rootfs (e.g. "the baked image"). With overlayfs the
   * capture is a layer: the guest's changes, hard-linked (instant; copied when hard links are not
   * possible), stacked on the guest's own rootfs layers. The capture forgets the guest's identity:
   * machine-id emptied, the test-host files (host key, authorized key, NoCloud seed and its
   * config, apt proxy) removed. `cloudInitClean` also clears cloud-init's state and logs, like
   * `cloud-init clean --logs` before taking an image, so the next boot is a first boot.
   * The guest itself is not changed (edits replace files rather than writing into shared ones).
   */
  async captureRootfs(guest: Guest, options: { name: string; cloudInitClean?: boolean }): Promise<Rootfs> {
    if (guest.isRunning)
      throw new Error(`captureRootfs: guest ${guest.name} is running; stop() it first so its root is consistent`);
    if (!guest.rootMounted()) throw new Error(`captureRootfs: the root of guest ${guest.name} is gone (cleaned up?)`);
    const started = Date.now();
    const record = guest.internalRecord;
    const { key, dir } = capturedLayerDir(this.cacheRoot, options.name);
    fs.mkdirSync(dir, { recursive: true });
    let layers: string[] | undefined;
    const root = path.join(dir, "root");
    let mountedView: string | undefined;
    if (record.upperDir && record.lowerDirs) {
      const layer = path.join(dir, "layer");
      const linked = await run(["cp", "-al", record.upperDir, layer], { allowFailure: true });
      if (linked.exitCode !== 0) {
        fs.rmSync(layer, { recursive: true, force: true });
        await run(["cp", "-a", record.upperDir, layer]);
      }
      layers = [layer, ...record.lowerDirs];
      // Edit through an overlay so that deletions of lower files become whiteouts in the layer.
      fs.mkdirSync(path.join(dir, "work"));
      fs.mkdirSync(root);
      if (!(await mountOverlay(record.lowerDirs, layer, path.join(dir, "work"), root)))
        throw new Error(`captureRootfs: cannot mount an overlay to edit the capture`);
      mountedView = root;
    } else {
      await run(["cp", "-a", "--reflink=auto", guest.rootDir, root]);
    }
    try {
      const at = (p: string) => path.join(root, p);
      fs.rmSync(at("etc/machine-id"), { force: true });
      fs.writeFileSync(at("etc/machine-id"), "");
      for (const p of [
        "etc/ssh/testhost",
        "etc/ssh/sshd_config.d/00-testhost.conf",
        "var/lib/cloud/seed/nocloud",
        "etc/cloud/cloud.cfg.d/90-testhost.cfg",
        "etc/cloud/cloud-init.disabled",
        "etc/hostname",
        "etc/apt/apt.conf.d/00testhost-proxy",
      ]) {
        fs.rmSync(at(p), { recursive: true, force: true });
      }
      if (options.cloudInitClean) {
        for (const p of [
          "var/lib/cloud/instances",
          "var/lib/cloud/instance",
          "var/lib/cloud/data",
          "var/lib/cloud/sem",
          "var/log/cloud-init.log",
          "var/log/cloud-init-output.log",
        ]) {
          fs.rmSync(at(p), { recursive: true, force: true });
        }
      }
    } finally {
      if (mountedView) {
        await run(["umount", mountedView]);
        fs.rmSync(path.join(dir, "work"), { recursive: true, force: true });
        fs.rmdirSync(mountedView);
      }
    }
    const source: Rootfs = {
      name: guest.name,
      key: "",
      dir: guest.rootDir,
      layers: [guest.rootDir],
      suite: "bookworm",
      packages: [],
      buildSeconds: 0,
      captured: false,
    };
    return writeCapturedManifest(dir, options.name, key, source, (Date.now() - started) / 1000, layers);
  }

  /** Stops and removes every guest and network of the lab. Safe to call twice; use in after(). */
  async cleanup(): Promise<void> {
    const errors: string[] = [];
    for (const guest of [...this.guests.values()]) {
      await guest.cleanup().catch((e: Error) => errors.push(`${guest.name}: ${e.message}`));
      this.guests.delete(guest.name);
    }
    for (const proxy of this.proxies.splice(0)) await proxy.close();
    await teardownLab(this.record, this.stateRoot).catch((e: Error) => errors.push(`lab: ${e.message}`));
    if (errors.length > 0) throw new Error(`TestLab cleanup had errors:\n${errors.join("\n")}`);
  }

  /** Names of network namespaces, links and pids that belong to this lab and still exist (for tests). */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const mark = `${this.prefix}${this.labId}`;
    for (const ns of fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : [])
      if (ns.startsWith(mark)) found.push(`netns ${ns}`);
    const links = await run(["ip", "-o", "link", "show"]);
    for (const line of links.stdout.split("\n")) {
      const name = line.split(":")[1]?.trim().split("@")[0];
      if (name?.startsWith(mark)) found.push(`link ${name}`);
    }
    const mounts = fs.readFileSync("/proc/self/mounts", "utf8");
    for (const line of mounts.split("\n"))
      if (line.split(" ")[1]?.startsWith(this.workDir)) found.push(`mount ${line.split(" ")[1]}`);
    if (fs.existsSync(this.workDir)) found.push(`dir ${this.workDir}`);
    return found;
  }
}

/**
 * Picks a 3-hex-digit lab id that no other lab of the prefix uses (other test processes, e.g.
 * other worktrees running the same suites, may be running right now): the lab record file is
 * created exclusively, and ids whose names still exist as netns or links are skipped.
 */
function claimLabId(stateRoot: string, prefix: string): string {
  const dir = path.join(stateRoot, prefix);
  fs.mkdirSync(dir, { recursive: true });
  const netns = fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : [];
  const links = fs.existsSync("/sys/class/net") ? fs.readdirSync("/sys/class/net") : [];
  for (let attempt = 0; attempt < 100; attempt++) {
    const labId = randomBytes(2).toString("hex").slice(0, 3);
    const mark = `${prefix}${labId}`;
    if (netns.some((n) => n.startsWith(mark)) || links.some((l) => l.startsWith(mark))) continue;
    try {
      fs.writeFileSync(path.join(dir, `lab-${labId}.json`), "{}\n", { flag: "wx" });
      return labId;
    } catch {
      // taken by another lab; try another id
    }
  }
  throw new Error(`no free lab id for prefix ${prefix}; run reapLeftovers("${prefix}")`);
}

/** Mounts an overlay (lower layers top first); false when overlayfs refuses (e.g. nested overlay). */
async function mountOverlay(lowerDirs: string[], upper: string, work: string, target: string): Promise<boolean> {
  const result = await run(
    [
      "mount",
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lowerDirs.join(":")},upperdir=${upper},workdir=${work}`,
      target,
    ],
    { allowFailure: true },
  );
  return result.exitCode === 0;
}

/** True when the process is PID 1 of a PID namespace below ours ("NSpid: <host pid> 1"). */
function isPidNamespaceInit(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/) ?? [];
    return nspid.length > 1 && nspid[nspid.length - 1] === "1";
  } catch {
    return false;
  }
}

/** pids whose parent is `pid` (from /proc/<pid>/task/<pid>/children, else a /proc scan). */
function childrenOf(pid: number): number[] {
  try {
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    if (text) return text.split(/\s+/).map(Number);
  } catch {
    // fall through to the scan
  }
  const result: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) result.push(Number(entry));
    } catch {
      // process exited meanwhile
    }
  }
  return result;
}

export { sleep };
