// Per-server user data of TwoTierCalculatorTopology: install Node.js (unless the image has it),
// write the role's self-contained bundle and a systemd unit, enable and start the unit.
import { readBundle } from "@openstack-blueprints/calculator";
import { CloudConfig, renderCloudConfig } from "../cloudinit/cloud-config";
import { PlannedServer, TwoTierCalculatorPlan, calculatorBundleFile } from "./two-tier-calculator-plan";

/**
 * The unit: restarts on failure (also covers binding before the address is up at boot: the
 * process exits 1, systemd retries), starts at boot, runs as a throw-away unprivileged user
 * (DynamicUser: the ports are above 1024, the bundle needs no writable state).
 */
export function renderCalculatorUnit(server: PlannedServer): string {
  const what = server.role === "frontend" ? "calculator front end" : `calculator ${server.role} service`;
  return [
    "[Unit]",
    `Description=openstack-blueprints ${what} on ${server.ip}:${server.port}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    `ExecStart=${server.execStart.join(" ")}`,
    "Restart=on-failure",
    "RestartSec=2",
    "DynamicUser=yes",
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Reads ExecStart back from a unit file (what systemd would run), as an argument vector. */
export function execStartOfUnit(unit: string): string[] {
  const line = unit.split("\n").find((l) => l.startsWith("ExecStart="));
  if (!line) throw new Error("the unit has no ExecStart line");
  return line.slice("ExecStart=".length).trim().split(/\s+/);
}

export function bundlePathOnGuest(plan: TwoTierCalculatorPlan, server: PlannedServer): string {
  return `${plan.installDir}/${calculatorBundleFile(server.role)}`;
}

export function calculatorCloudConfig(plan: TwoTierCalculatorPlan, server: PlannedServer): CloudConfig {
  const unitPath = `/etc/systemd/system/${server.unitName}`;
  return {
    ...(plan.nodejsSource === "package" ? { package_update: true, packages: ["nodejs"] } : {}),
    write_files: [
      { path: bundlePathOnGuest(plan, server), content: readBundle(server.role), permissions: "0644" },
      { path: unitPath, content: renderCalculatorUnit(server), permissions: "0644" },
    ],
    // runcmd runs after the packages module, so node is installed when the unit starts.
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", server.unitName],
    ],
  };
}

/** The #cloud-config document for one server (refuses one Nova would refuse for size). */
export function renderCalculatorUserData(plan: TwoTierCalculatorPlan, server: PlannedServer): string {
  return renderCloudConfig(calculatorCloudConfig(plan, server));
}
