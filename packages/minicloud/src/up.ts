/**
 * `minicloud up`: install, configure, start and bootstrap, skipping whatever is already done.
 * Each step either checks the real state (process alive, API answering) or a marker written
 * after the step succeeded (database schema synced), so a second `up` only starts what died.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { renderCloudsYaml, renderEnv } from "./clouds-yaml";
import {
  ensureExternalNetwork,
  ensureFlavors,
  ensureImage,
  ensureQuotas,
  ensureVolumeQuotas,
  PLACEHOLDER_IMAGE_NAMES,
} from "./cloud-resources";
import { commandSucceeds, run, runAsync } from "./exec";
import { ensureProject, ensureServiceCatalog, ensureTestProjects } from "./identity";
import { ensurePackages } from "./install";
import { ensureGuests, GUEST_PACKAGES, prepareLibvirtRuntime, readProfile, writeProfile } from "./guests";
import {
  CINDER_BACKEND,
  COMPUTE_HOST,
  defaultLayout,
  EXTERNAL_NETWORK,
  HOST,
  Layout,
  PORTS,
  PROVIDER_INTERFACE,
  PROVIDER_PEER,
  REGION,
} from "./layout";
import { readPidRecord, runningPid, startProcess, stopProcess } from "./processes";
import { authenticate, NOVA_MICROVERSION, request, Session } from "./rest";
import { databaseUser, DATABASES, loadOrCreateSecrets, PROJECT_USERS, Secrets } from "./secrets";
import * as cfg from "./service-configs";
import { mariadbSocket, neutronPythonDir, serviceSpecs, ServiceSpec } from "./services";
import { mountNfsSh, mountWrapperSh, nfsSharesConf, storagePaths, unmountShares } from "./storage";

export interface UpOptions {
  layout?: Layout;
  log?: (msg: string) => void;
  /** Skip `apt-get install` (packages must already be there). */
  skipInstall?: boolean;
  /**
   * The guests profile: a second compute host that boots real guests (libvirt, QEMU TCG) in
   * availability zone `guests`, and Neutron's DHCP, L3 and metadata agents with enforced
   * security groups. Remembered: a later `up` keeps it until `down --purge`.
   */
  guests?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tcpOpen(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("connect", () => done(true));
    sock.on("error", () => done(false));
  });
}

export async function httpAnswers(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

export function unixSocketOpen(file: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ path: file });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("connect", () => done(true));
    sock.on("error", () => done(false));
  });
}

export async function isReady(spec: ServiceSpec): Promise<boolean> {
  switch (spec.ready.kind) {
    case "tcp":
      return tcpOpen(spec.ready.port);
    case "unix":
      return unixSocketOpen(spec.ready.path);
    case "http":
      return httpAnswers(spec.ready.url);
    case "none":
      return true;
  }
}

class Timer {
  private readonly t0 = Date.now();
  readonly phases: { phase: string; seconds: number }[] = [];
  constructor(private readonly log: (m: string) => void) {}
  async phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    const result = await fn();
    const seconds = (Date.now() - start) / 1000;
    this.phases.push({ phase: name, seconds });
    this.log(`${name}: ${seconds.toFixed(1)} s`);
    return result;
  }
  total(): number {
    return (Date.now() - this.t0) / 1000;
  }
}

/** Writes the file only when its content changed; returns whether it changed. */
function writeIfChanged(file: string, content: string, mode = 0o600): boolean {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) {
    fs.chmodSync(file, mode);
    return false;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
  return true;
}

function marker(layout: Layout, step: string): string {
  return path.join(layout.stateDir, "done", step);
}
function isDone(layout: Layout, step: string): boolean {
  return fs.existsSync(marker(layout, step));
}
function markDone(layout: Layout, step: string): void {
  fs.mkdirSync(path.join(layout.stateDir, "done"), { recursive: true });
  fs.writeFileSync(marker(layout, step), new Date().toISOString() + "\n");
}

async function once(layout: Layout, step: string, fn: () => Promise<unknown>): Promise<void> {
  if (isDone(layout, step)) return;
  await fn();
  markDone(layout, step);
}

/** Renders every config file; returns the names of services whose config changed. */
export function writeConfigs(layout: Layout, secrets: Secrets, guests = false): Set<string> {
  const ctx = { layout, secrets, guests };
  const c = (...p: string[]) => path.join(layout.configDir, ...p);
  const changed = new Set<string>();
  const put = (services: string[], file: string, content: string, mode?: number) => {
    if (writeIfChanged(file, content, mode)) services.forEach((s) => changed.add(s));
  };
  put(["rabbitmq"], c("rabbitmq", "rabbitmq.conf"), cfg.rabbitmqConf(secrets));
  put(["keystone"], c("keystone", "keystone.conf"), cfg.keystoneConf(ctx));
  put(
    ["keystone"],
    c("keystone", "uwsgi.ini"),
    cfg.uwsgiIni({
      name: "keystone",
      port: PORTS.keystone,
      wsgiFile: "/usr/bin/keystone-wsgi-public",
      env: { OS_KEYSTONE_CONFIG_FILES: c("keystone", "keystone.conf") },
      processes: 2,
    }),
  );
  put(["glance-api"], c("glance", "glance-api.conf"), cfg.glanceApiConf(ctx));
  put(["placement-api"], c("placement", "placement.conf"), cfg.placementConf(ctx));
  put(
    ["placement-api"],
    c("placement", "uwsgi.ini"),
    cfg.uwsgiIni({
      name: "placement",
      port: PORTS.placement,
      wsgiFile: "/usr/bin/placement-api",
      env: { OS_PLACEMENT_CONFIG_DIR: c("placement") },
      processes: 1,
    }),
  );
  const nova = ["nova-api", "nova-conductor", "nova-scheduler", "nova-compute"];
  put(nova, c("nova", "nova.conf"), cfg.novaConf(ctx));
  const neutron = ["neutron-server", "neutron-linuxbridge-agent"];
  put(neutron, c("neutron", "neutron.conf"), cfg.neutronConf(ctx));
  put(["neutron-server"], c("neutron", "ml2_conf.ini"), cfg.ml2Conf(guests));
  put(["neutron-linuxbridge-agent"], c("neutron", "linuxbridge_agent.ini"), cfg.linuxbridgeAgentConf(guests));
  const cinder = ["cinder-api", "cinder-scheduler", "cinder-volume"];
  put(cinder, c("cinder", "cinder.conf"), cfg.cinderConf(ctx));
  put(["cinder-volume"], c("cinder", "nfs_shares"), nfsSharesConf(layout));
  put(
    ["cinder-volume", "nova-compute-guests"],
    path.join(storagePaths(layout).binDir, "mount"),
    mountWrapperSh(storagePaths(layout)),
    0o700,
  );
  put(["cinder-volume"], path.join(storagePaths(layout).binDir, "mount.nfs"), mountNfsSh(storagePaths(layout)), 0o700);
  if (guests) {
    put(["nova-compute-guests"], c("nova", "nova-compute-guests.conf"), cfg.novaGuestsComputeConf(ctx));
    put(
      ["neutron-linuxbridge-agent-guests"],
      c("neutron", "linuxbridge_agent_guests.ini"),
      cfg.linuxbridgeGuestsAgentConf(),
    );
    put(["neutron-dhcp-agent"], c("neutron", "dhcp_agent.ini"), cfg.dhcpAgentConf());
    put(["neutron-l3-agent"], c("neutron", "l3_agent.ini"), cfg.l3AgentConf());
    put(["neutron-metadata-agent"], c("neutron", "metadata_agent.ini"), cfg.metadataAgentConf(ctx));
    put(
      ["neutron-server"],
      path.join(neutronPythonDir(layout), "minicloud_neutron_schedulers.py"),
      cfg.neutronSchedulersPy(),
    );
  }
  return changed;
}

/**
 * Guests profile: the public network's gateway address on the veth's free end, so this host
 * is the routers' next hop and reaches floating IPs (172.24.4.0/24) directly.
 */
function ensureProviderGateway(): void {
  const cidr = `${EXTERNAL_NETWORK.gateway}/${EXTERNAL_NETWORK.cidr.split("/")[1]}`;
  const addrs = run(["ip", "-o", "-4", "addr", "show", "dev", PROVIDER_PEER]);
  if (!addrs.includes(` ${cidr} `)) run(["ip", "addr", "add", cidr, "dev", PROVIDER_PEER]);
}

function ensureProviderVeth(): boolean {
  if (commandSucceeds(["ip", "link", "show", PROVIDER_INTERFACE])) {
    run(["ip", "link", "set", PROVIDER_PEER, "up"]);
    run(["ip", "link", "set", PROVIDER_INTERFACE, "up"]);
    return false;
  }
  run(["ip", "link", "add", PROVIDER_INTERFACE, "type", "veth", "peer", "name", PROVIDER_PEER]);
  run(["ip", "link", "set", PROVIDER_INTERFACE, "up"]);
  run(["ip", "link", "set", PROVIDER_PEER, "up"]);
  return true;
}

/** Hash of a process's command line, environment and config files: what a restart would change. */
export function configHash(files: string[], argv: string[] = [], env: Record<string, string> = {}): string {
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify([argv, env]));
  for (const f of files)
    h.update(f)
      .update("\0")
      .update(fs.existsSync(f) ? fs.readFileSync(f) : "")
      .update("\0");
  return h.digest("hex");
}

export async function ensureRunning(layout: Layout, spec: ServiceSpec, log: (m: string) => void): Promise<void> {
  let pid = runningPid(layout.runDir, spec.name);
  const hash = configHash(spec.configFiles, spec.argv, spec.env);
  if (pid !== undefined && readPidRecord(layout.runDir, spec.name)?.configHash !== hash) {
    log(`${spec.name}: configuration changed, restarting`);
    await stopProcess(layout.runDir, spec.name);
    pid = undefined;
  }
  if (pid === undefined) {
    // A foreign process on our port would answer half the requests; refuse instead.
    if (spec.ready.kind !== "none" && (await isReady(spec))) {
      throw new Error(
        `${spec.name}: something minicloud did not start already listens on its port; stop it first (check 'ss -ltnp')`,
      );
    }
    pid = startProcess({
      name: spec.name,
      argv: spec.argv,
      env: spec.env,
      runDir: layout.runDir,
      logDir: layout.logDir,
      configHash: hash,
    });
    log(`${spec.name}: started (pid ${pid})`);
  }
  const deadline = Date.now() + spec.readyTimeout * 1000;
  while (!(await isReady(spec))) {
    if (runningPid(layout.runDir, spec.name) === undefined) {
      throw new Error(`${spec.name} exited during start-up; see ${path.join(layout.logDir, spec.name + ".log")}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${spec.name} did not answer within ${spec.readyTimeout} s; see ${path.join(layout.logDir, spec.name + ".log")}`,
      );
    }
    await sleep(250);
  }
}

function mysql(layout: Layout, sql: string): string {
  return run(["mariadb", "--no-defaults", `--socket=${mariadbSocket(layout)}`, "-uroot", "--batch"], { input: sql });
}

function sqlString(s: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("refusing to put a non-alphanumeric value into SQL");
  return `'${s}'`;
}

export function databaseSql(secrets: Secrets): string {
  const lines: string[] = [];
  for (const db of DATABASES) {
    const user = databaseUser(db);
    const pw = secrets.db[user];
    if (!pw) throw new Error(`no database password for ${user}`);
    lines.push(`CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;`);
    lines.push(`CREATE USER IF NOT EXISTS ${sqlString(user)}@'127.0.0.1' IDENTIFIED BY ${sqlString(pw)};`);
    lines.push(`ALTER USER ${sqlString(user)}@'127.0.0.1' IDENTIFIED BY ${sqlString(pw)};`);
    lines.push(`GRANT ALL PRIVILEGES ON \`${db}\`.* TO ${sqlString(user)}@'127.0.0.1';`);
  }
  lines.push("FLUSH PRIVILEGES;");
  return lines.join("\n") + "\n";
}

function adminAuth(secrets: Secrets) {
  return {
    authUrl: `http://${HOST}:${PORTS.keystone}/v3`,
    username: "admin",
    password: secrets.admin,
    projectName: "admin",
  };
}

/** Thrown inside a waitFor probe to stop waiting at once (a process died). */
export class FatalError extends Error {}

export async function waitFor<T>(what: string, timeoutS: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const v = await fn().catch((e) => {
      if (e instanceof FatalError) throw e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * Nova stores each cell's database and broker URL in nova_api. As templates, Nova fills them
 * from nova.conf at run time: no password lands in the database or on a command line, and a
 * changed port or password needs no cell update.
 */
const CELL_DB_TEMPLATE = "{scheme}://{username}:{password}@{hostname}:{port}/{path}?{query}";
const CELL0_DB_TEMPLATE = "{scheme}://{username}:{password}@{hostname}:{port}/{path}_cell0?{query}";
const MQ_TEMPLATE = "{scheme}://{username}:{password}@{hostname}:{port}/{path}";

export interface UpResult {
  seconds: number;
  phases: { phase: string; seconds: number }[];
  cloudsYaml: string;
}

export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const layout = opts.layout ?? defaultLayout();
  const log = opts.log ?? ((m: string) => console.log(`[minicloud] ${m}`));
  if (process.getuid && process.getuid() !== 0)
    throw new Error("minicloud up must run as root (it installs packages and starts services)");
  const timer = new Timer(log);
  const guests = opts.guests === true || readProfile(layout).guests;
  if (guests) log("profile: guests (libvirt compute host 'minicloud-guests', zone 'guests', DHCP/L3/metadata agents)");
  const specs = new Map(serviceSpecs(layout, { guests }).map((s) => [s.name, s]));
  const spec = (name: string): ServiceSpec => {
    const s = specs.get(name);
    if (!s) throw new Error(`unknown service ${name}`);
    return s;
  };
  const c = (...p: string[]) => path.join(layout.configDir, ...p);

  await timer.phase("packages", async () => {
    if (!opts.skipInstall) ensurePackages(log, guests ? GUEST_PACKAGES : []);
  });

  let secrets!: Secrets;
  await timer.phase("host and configuration", async () => {
    for (const d of [layout.stateDir, layout.runDir, layout.configDir])
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.mkdirSync(layout.logDir, { recursive: true, mode: 0o750 });
    for (const d of [
      "glance/images",
      "glance/staging",
      "glance/tasks",
      "glance/lock",
      "nova/instances",
      "nova/lock",
      "neutron/lock",
      "rabbitmq/mnesia",
      "keystone",
      "cinder/lock",
      "cinder/mnt",
      "cinder/coordination",
    ]) {
      fs.mkdirSync(path.join(layout.stateDir, d), { recursive: true, mode: 0o700 });
    }
    // The volumes' directory (the share): QEMU, running as libvirt-qemu, opens a volume's file
    // through Nova's mount of it, so it and its parent are search-only for others (0711; the
    // files themselves are 0660, given to QEMU's user by libvirt while a guest uses them).
    const volumes = storagePaths(layout).exportDir;
    fs.mkdirSync(volumes, { recursive: true, mode: 0o711 });
    fs.chmodSync(path.dirname(volumes), 0o711);
    fs.chmodSync(volumes, 0o711);
    // A mount of the share left from a killed run whose directory has since been made anew
    // would show Cinder or Nova an unrelated, empty directory: remove such stale mounts.
    unmountShares(layout, log, false);
    fs.mkdirSync(path.join(layout.logDir, "rabbitmq"), { recursive: true });
    secrets = loadOrCreateSecrets(layout.stateDir);
    if (guests) {
      // QEMU runs as libvirt-qemu and opens the disks under nova-guests/instances itself: it
      // must be able to pass through the state directory (search only; 0711 lists nothing,
      // and every secret in it is a 0600 file).
      fs.chmodSync(layout.stateDir, 0o711);
      // dnsmasq drops to `nobody` and re-reads its hosts file under neutron/dhcp/ on every
      // SIGHUP (each new port): the same search-only right on neutron/.
      fs.chmodSync(path.join(layout.stateDir, "neutron"), 0o711);
      fs.mkdirSync(path.join(layout.stateDir, "nova-guests", "lock"), { recursive: true, mode: 0o700 });
      fs.chmodSync(path.join(layout.stateDir, "nova-guests"), 0o711);
      fs.mkdirSync(path.join(layout.stateDir, "nova-guests", "instances"), { recursive: true, mode: 0o711 });
      fs.mkdirSync(storagePaths(layout).novaMountBase, { recursive: true, mode: 0o711 });
      prepareLibvirtRuntime();
    }
    const changed = writeConfigs(layout, secrets, guests);
    if (changed.size > 0) log(`configuration written for: ${[...changed].join(", ")}`);
    writeIfChanged(path.join(layout.stateDir, "rabbitmq", "enabled_plugins"), "[].\n");
    ensureProviderVeth();
    if (guests) ensureProviderGateway();
  });

  // RabbitMQ takes the longest to start and only the daemons need it: start it now, wait
  // for it just before the daemons start, and do the database work meanwhile.
  const rabbitReady = (async () => {
    await ensureRunning(layout, spec("epmd"), log);
    await ensureRunning(layout, spec("rabbitmq"), log);
  })();
  rabbitReady.catch(() => undefined); // awaited below; keep an early failure from being "unhandled"

  await timer.phase("mariadb", async () => {
    const datadir = path.join(layout.stateDir, "mysql");
    if (!fs.existsSync(path.join(datadir, "mysql"))) {
      log("mariadb: initialising data directory");
      fs.rmSync(datadir, { recursive: true, force: true });
      run([
        "mariadb-install-db",
        "--no-defaults",
        `--datadir=${datadir}`,
        "--user=root",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
      ]);
    }
    await ensureRunning(layout, spec("mariadb"), log);
    // The socket appears a moment after the TCP port.
    await waitFor("the MariaDB socket", 30, async () => (fs.existsSync(mariadbSocket(layout)) ? true : undefined));
    mysql(layout, databaseSql(secrets));
  });

  const manage = (argv: string[], env?: Record<string, string>) => runAsync(argv, { env });
  const novaConf = ["--config-file", c("nova", "nova.conf")];

  let admin!: Session;
  // Keystone only needs its own schema; it comes up while the slower migrations still run.
  const keystoneChain = async () => {
    await once(layout, "keystone-db", () =>
      manage(["keystone-manage", "--config-file", c("keystone", "keystone.conf"), "db_sync"]),
    );
    const keys = path.join(layout.stateDir, "keystone");
    const ksConf = ["--config-file", c("keystone", "keystone.conf")];
    if (!fs.existsSync(path.join(keys, "fernet-keys", "0"))) {
      await manage([
        "keystone-manage",
        ...ksConf,
        "fernet_setup",
        "--keystone-user",
        "root",
        "--keystone-group",
        "root",
      ]);
    }
    if (!fs.existsSync(path.join(keys, "credential-keys", "0"))) {
      await manage([
        "keystone-manage",
        ...ksConf,
        "credential_setup",
        "--keystone-user",
        "root",
        "--keystone-group",
        "root",
      ]);
    }
    await once(layout, "keystone-bootstrap", () =>
      // The admin password goes through the environment of this one short-lived child, never argv.
      manage(
        [
          "keystone-manage",
          ...ksConf,
          "bootstrap",
          "--bootstrap-admin-url",
          `http://${HOST}:${PORTS.keystone}/v3`,
          "--bootstrap-internal-url",
          `http://${HOST}:${PORTS.keystone}/v3`,
          "--bootstrap-public-url",
          `http://${HOST}:${PORTS.keystone}/v3`,
          "--bootstrap-region-id",
          REGION,
        ],
        { OS_BOOTSTRAP_PASSWORD: secrets.admin },
      ),
    );
    await ensureRunning(layout, spec("keystone"), log);
    admin = await waitFor("an admin token", 60, () => authenticate(adminAuth(secrets)));
    // The step's name changes when the catalog gains something older installs must get once:
    // "-cinder" Cinder's service user and entries, "-service-role" the `service` role of the
    // service users (Nova's service token, which Cinder requires to let go of a volume).
    await once(layout, "keystone-catalog-service-role", () => ensureServiceCatalog(admin, secrets));
  };

  // Schema migrations are slow Python start-ups; run the independent ones side by side.
  await timer.phase("database schemas + keystone", async () => {
    await Promise.all([
      keystoneChain(),
      once(layout, "glance-db", () =>
        manage(["glance-manage", "--config-file", c("glance", "glance-api.conf"), "db_sync"]),
      ),
      once(layout, "placement-db", () => manage(["placement-manage", "--config-dir", c("placement"), "db", "sync"])),
      once(layout, "cinder-db", () =>
        manage(["cinder-manage", "--config-file", c("cinder", "cinder.conf"), "db", "sync"]),
      ),
      once(layout, "neutron-db", () =>
        manage([
          "neutron-db-manage",
          "--config-file",
          c("neutron", "neutron.conf"),
          "--config-file",
          c("neutron", "ml2_conf.ini"),
          "upgrade",
          "heads",
        ]),
      ),
      once(layout, "nova-db", async () => {
        await manage(["nova-manage", ...novaConf, "api_db", "sync"]);
        await manage(["nova-manage", ...novaConf, "cell_v2", "map_cell0", "--database_connection", CELL0_DB_TEMPLATE]);
        const cells = await manage(["nova-manage", ...novaConf, "cell_v2", "list_cells"]);
        if (!/\bcell1\b/.test(cells)) {
          await manage([
            "nova-manage",
            ...novaConf,
            "cell_v2",
            "create_cell",
            "--name",
            "cell1",
            "--transport-url",
            MQ_TEMPLATE,
            "--database_connection",
            CELL_DB_TEMPLATE,
          ]);
        }
        await manage(["nova-manage", ...novaConf, "db", "sync"]);
        markDone(layout, "nova-cell-templates");
      }),
    ]);
    // Installs from before the cell mappings were templates: point them at the templates.
    await once(layout, "nova-cell-templates", async () => {
      const cells = await manage(["nova-manage", ...novaConf, "cell_v2", "list_cells"]);
      const cell1 = /\|\s*cell1\s*\|\s*([0-9a-f-]{36})\s*\|/.exec(cells)?.[1];
      await manage([
        "nova-manage",
        ...novaConf,
        "cell_v2",
        "update_cell",
        "--cell_uuid",
        "00000000-0000-0000-0000-000000000000",
        "--database_connection",
        CELL0_DB_TEMPLATE,
        "--transport-url",
        "none:///",
      ]);
      if (cell1) {
        await manage([
          "nova-manage",
          ...novaConf,
          "cell_v2",
          "update_cell",
          "--cell_uuid",
          cell1,
          "--transport-url",
          MQ_TEMPLATE,
          "--database_connection",
          CELL_DB_TEMPLATE,
        ]);
      }
    });
  });

  // Nothing below needs another service to be up before it starts (they retry their
  // connections), so start them all at once and wait for their APIs together.
  await timer.phase("rabbitmq", () => rabbitReady);

  await timer.phase("glance + placement + neutron + nova + cinder", async () => {
    await Promise.all([
      (async () => {
        for (const name of ["cinder-scheduler", "cinder-volume", "cinder-api"])
          await ensureRunning(layout, spec(name), log);
      })(),
      ensureRunning(layout, spec("glance-api"), log),
      ensureRunning(layout, spec("placement-api"), log),
      (async () => {
        await ensureRunning(layout, spec("neutron-server"), log);
        await ensureRunning(layout, spec("neutron-linuxbridge-agent"), log);
      })(),
      (async () => {
        for (const name of ["nova-conductor", "nova-scheduler", "nova-compute", "nova-api"])
          await ensureRunning(layout, spec(name), log);
      })(),
    ]);
  });

  await timer.phase("compute host and agent", async () => {
    // Compute is usable once it registered itself and is mapped into cell1.
    const nova = `http://${HOST}:${PORTS.nova}/v2.1`;
    const assertNovaAlive = () => {
      for (const name of ["nova-conductor", "nova-scheduler", "nova-compute", "nova-api"]) {
        if (runningPid(layout.runDir, name) === undefined) {
          throw new FatalError(`${name} exited; see ${path.join(layout.logDir, name + ".log")}`);
        }
      }
    };
    await waitFor("nova-compute to report as up", 120, async () => {
      assertNovaAlive();
      const svcs = (
        await request(admin, "GET", `${nova}/os-services?binary=nova-compute`, { headers: NOVA_MICROVERSION })
      ).body.services as any[];
      return svcs.some((s) => s.host === COMPUTE_HOST && s.state === "up") ? true : undefined;
    });
    const hyps = async () =>
      (
        (await request(admin, "GET", `${nova}/os-hypervisors`, { headers: NOVA_MICROVERSION })).body
          .hypervisors as any[]
      ).length > 0;
    if (!(await hyps())) {
      await manage(["nova-manage", ...novaConf, "cell_v2", "discover_hosts"]);
      await waitFor("the compute host in cell1", 60, async () => ((await hyps()) ? true : undefined));
    }
    const neutron = `http://${HOST}:${PORTS.neutron}/v2.0`;
    await waitFor("the linuxbridge agent to be alive", 90, async () => {
      if (runningPid(layout.runDir, "neutron-linuxbridge-agent") === undefined) {
        throw new FatalError(
          `neutron-linuxbridge-agent exited; see ${path.join(layout.logDir, "neutron-linuxbridge-agent.log")}`,
        );
      }
      const agents = (await request(admin, "GET", `${neutron}/agents?binary=neutron-linuxbridge-agent`)).body
        .agents as any[];
      return agents.some((a) => a.host === COMPUTE_HOST && a.alive) ? true : undefined;
    });
  });

  await timer.phase("bootstrap", () =>
    once(layout, "cloud-resources", async () => {
      const [projects] = await Promise.all([
        ensureTestProjects(admin, secrets),
        ensureExternalNetwork(admin),
        ensureFlavors(admin),
        ensureImage(admin),
        ...PLACEHOLDER_IMAGE_NAMES.map((n) => ensureImage(admin, n)),
      ]);
      await Promise.all(Object.values(projects).map((id) => ensureQuotas(admin, id)));
    }),
  );

  await timer.phase("block storage", async () => {
    const cinder = `http://${HOST}:${PORTS.cinder}/v3/${admin.projectId}`;
    // The backend's pool reaches the scheduler only once its driver set up (mounted the share);
    // the service row alone reads "up" for a minute even when the driver failed.
    await waitFor("cinder-volume's NFS pool to reach the scheduler", 120, async () => {
      for (const name of ["cinder-api", "cinder-scheduler", "cinder-volume"])
        if (runningPid(layout.runDir, name) === undefined)
          throw new FatalError(`${name} exited; see ${path.join(layout.logDir, name + ".log")}`);
      const pools = (await request(admin, "GET", `${cinder}/scheduler-stats/get_pools`)).body.pools as any[];
      return pools.some((p) => String(p.name).startsWith(`${COMPUTE_HOST}@${CINDER_BACKEND}#`)) ? true : undefined;
    });
    await once(layout, "cinder-quotas", async () => {
      for (const name of PROJECT_USERS)
        await ensureVolumeQuotas(admin, await ensureProject(admin, name, `minicloud test project ${name}`));
    });
  });

  if (guests) {
    await ensureGuests({ layout, admin, spec, log, phase: (n, f) => timer.phase(n, f), manage });
    writeProfile(layout, { guests: true });
  }

  const clouds = renderCloudsYaml(secrets);
  writeIfChanged(path.join(layout.stateDir, "clouds.yaml"), clouds);
  writeIfChanged(layout.cloudsYaml, clouds);
  const seconds = timer.total();
  log(`up: ${seconds.toFixed(1)} s total`);
  log(
    `clouds.yaml: ${layout.cloudsYaml} (also ${path.join(layout.stateDir, "clouds.yaml")}); clouds: minicloud-admin, minicloud-a, minicloud-b`,
  );
  process.stdout.write(renderEnv("minicloud-a", layout.cloudsYaml));
  return { seconds, phases: timer.phases, cloudsYaml: layout.cloudsYaml };
}
