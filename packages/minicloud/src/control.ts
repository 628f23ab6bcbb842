/** `status`, `down`, `down --purge` and `env`. */
import * as fs from "fs";
import * as path from "path";
import { renderEnv } from "./clouds-yaml";
import { commandSucceeds, run } from "./exec";
import { defaultLayout, Layout, PROVIDER_INTERFACE } from "./layout";
import {
  deleteAgentNamespaces,
  readProfile,
  removeNeutronIptables,
  stopGuestDomains,
  stopNeutronChildren,
} from "./guests";
import { readPidRecord, runningPid, stopProcess } from "./processes";
import { allServiceSpecs, serviceSpecs } from "./services";
import { unmountShares } from "./storage";
import { isReady } from "./up";

export interface ServiceStatus {
  name: string;
  pid?: number;
  alive: boolean;
  /** undefined when the service has no API/port of its own. */
  answering?: boolean;
}

export async function status(layout: Layout = defaultLayout()): Promise<ServiceStatus[]> {
  const out: ServiceStatus[] = [];
  // The profile's processes, plus any other one that still has a pid file (a profile switched off).
  const guests = readProfile(layout).guests;
  const specs = allServiceSpecs(layout).filter(
    (s) => serviceSpecs(layout, { guests }).some((p) => p.name === s.name) || readPidRecord(layout.runDir, s.name),
  );
  for (const spec of specs) {
    const pid = runningPid(layout.runDir, spec.name);
    const rec = readPidRecord(layout.runDir, spec.name);
    out.push({
      name: spec.name,
      pid: pid ?? rec?.pid,
      alive: pid !== undefined,
      answering: spec.ready.kind === "none" ? undefined : await isReady(spec),
    });
  }
  return out;
}

export function formatStatus(rows: ServiceStatus[]): string {
  const w = Math.max(28, ...rows.map((r) => r.name.length + 2));
  const lines = [`${"service".padEnd(w)}${"pid".padEnd(9)}${"alive".padEnd(7)}api`];
  for (const r of rows) {
    const api = r.answering === undefined ? "-" : r.answering ? "answering" : "NOT answering";
    lines.push(`${r.name.padEnd(w)}${String(r.pid ?? "-").padEnd(9)}${(r.alive ? "yes" : "no").padEnd(7)}${api}`);
  }
  return lines.join("\n") + "\n";
}

/** Stops, in reverse start order, exactly the processes recorded in our pid files. */
export async function down(opts: { purge?: boolean; layout?: Layout; log?: (m: string) => void } = {}): Promise<void> {
  const layout = opts.layout ?? defaultLayout();
  const log = opts.log ?? ((m: string) => console.log(`[minicloud] ${m}`));
  // OpenStack services first (all at once: each may take its grace period), then RabbitMQ
  // and epmd, then MariaDB, so no service loses its database or broker while still running.
  // Guests profile: the guests go first (libvirtd must still run to stop them), then, once the
  // OpenStack services are stopped, what their agents left running outside their process
  // groups, and libvirt last.
  const infra = ["rabbitmq", "epmd", "mariadb"];
  const libvirt = ["libvirtd", "virtlogd"];
  const stop = async (name: string) => {
    if ((await stopProcess(layout.runDir, name)) === "stopped") log(`${name}: stopped`);
  };
  const domains = stopGuestDomains(opts.purge === true, log);
  if (domains.length > 0) {
    // Give the L2 agent a few polling rounds to see the taps go and remove their filters.
    await new Promise((r) => setTimeout(r, 6000));
  }
  await Promise.all(
    allServiceSpecs(layout)
      .filter((s) => !infra.includes(s.name) && !libvirt.includes(s.name))
      .map((s) => stop(s.name)),
  );
  stopNeutronChildren(layout, log);
  deleteAgentNamespaces(layout, log);
  // The volume share's mounts (Cinder's, and Nova's for guests that used a volume): nothing
  // uses them once the guests and the daemons are stopped, and none may outlive minicloud.
  unmountShares(layout, log, true);
  for (const name of libvirt) await stop(name);
  for (const name of infra) await stop(name);
  if (!opts.purge) {
    log("stopped; data kept (use 'down --purge' to remove it)");
    return;
  }
  // Bridges the agent created on our veth and vxlan links, then the veth pair itself.
  if (fs.existsSync("/sys/class/net")) {
    for (const dev of fs.readdirSync("/sys/class/net")) {
      if (/^brq[0-9a-f-]{11}$/.test(dev) || /^vxlan-\d+$/.test(dev)) {
        const owned =
          fs.existsSync(`/sys/class/net/${dev}/brif/${PROVIDER_INTERFACE}`) ||
          dev.startsWith("vxlan-") ||
          dev.startsWith("brq");
        if (owned) commandSucceeds(["ip", "link", "del", dev]);
      }
    }
  }
  if (commandSucceeds(["ip", "link", "show", PROVIDER_INTERFACE])) run(["ip", "link", "del", PROVIDER_INTERFACE]);
  removeNeutronIptables(log);
  for (const dir of [layout.stateDir, layout.configDir, layout.logDir])
    fs.rmSync(dir, { recursive: true, force: true });
  const clouds = layout.cloudsYaml;
  if (fs.existsSync(clouds) && fs.readFileSync(clouds, "utf8").startsWith("# Written by minicloud")) fs.rmSync(clouds);
  log(`purged ${layout.stateDir}, ${layout.configDir}, ${layout.logDir} and ${clouds}`);
}

export function env(cloud: string, layout: Layout = defaultLayout()): string {
  const stateCopy = path.join(layout.stateDir, "clouds.yaml");
  const file = fs.existsSync(layout.cloudsYaml) ? layout.cloudsYaml : stateCopy;
  if (!fs.existsSync(file)) throw new Error(`no clouds.yaml at ${layout.cloudsYaml}; run 'minicloud up' first`);
  return renderEnv(cloud, file);
}
