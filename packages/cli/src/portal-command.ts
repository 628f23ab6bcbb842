/**
 * `blueprints portal CONFIG_FILE`: runs the self-service portal on this machine, for an admin,
 * against the cloud and desktops its config names, or against a stack's outputs (`--outputs`, the
 * JSON of `pulumi stack output --json --show-secrets`, a file or `-` for a pipe, so no clear
 * password needs to touch the disk). Listens on 127.0.0.1 unless told otherwise; runs until
 * Ctrl-C.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import type { CommandResult } from "./capacity-command";
import { UsageError } from "./check-command";

export const PORTAL_USAGE = `Usage: blueprints portal CONFIG_FILE [--outputs FILE|-] [--host HOST] [--port PORT] [--insecure-http-cookies]

  CONFIG_FILE               the portal's YAML/JSON config: cloud, admins, desktops (see
                            packages/portal/README.md)
  --outputs FILE|-          take the desktops from a stack's outputs instead: the JSON of
                            \`pulumi stack output --json --show-secrets\` (- reads it from stdin);
                            passwords are hashed in memory and never stored
  --host HOST               address to listen on (default: the config's, else 127.0.0.1)
  --port PORT               port (default: the config's, else 8443; 0 picks a free one)
  --insecure-http-cookies   session cookies without Secure, for plain http on this machine only
                            (otherwise give tls: { certFile, keyFile } in the config)

Prints the portal's address, logs requests (no passwords, hashes or cookies) as JSON lines on
stdout, and runs until Ctrl-C. Exit status: 0 stopped, 1 config or cloud problems, 2 bad arguments.
`;

// Loaded when the command runs: the other commands do not pay for the web stack.
type PortalApi = typeof import("@openstack-blueprints/portal");

function portalApi(): PortalApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use (see above)
  return require("@openstack-blueprints/portal") as PortalApi;
}

function readOutputs(source: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (e) {
    throw new UsageError(
      `--outputs ${source}: cannot be read (${(e as NodeJS.ErrnoException).code}); give the file written by \`pulumi stack output --json --show-secrets > FILE\`, or - to pipe it`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `--outputs ${source}: is not JSON (${(e as Error).message}); use \`pulumi stack output --json --show-secrets\``,
    );
  }
}

/** The checked config the command would run with (no cloud asked): exported for tests. */
export function portalConfigFromArgs(argv: string[]): ReturnType<PortalApi["parsePortalConfig"]> | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        outputs: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "insecure-http-cookies": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "CONFIG_FILE is missing; give the portal's YAML config (cloud, admins, desktops)"
        : `one CONFIG_FILE expected, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw new UsageError(`--port "${values.port}" is not a TCP port; use 1–65535, or 0 for any free port`);
  }
  const portal = portalApi();
  const file = positionals[0];
  const raw = portal.readPortalConfigFile(file) as Record<string, unknown> | null;
  const config: Record<string, unknown> = { ...(raw && typeof raw === "object" ? raw : {}) };
  if (values.outputs !== undefined)
    config.desktops = portal.desktopsFromStackOutputs(readOutputs(values.outputs), `--outputs ${values.outputs}`);
  const listen = (config.listen ?? {}) as Record<string, unknown>;
  config.listen = { ...listen, ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) };
  if (values["insecure-http-cookies"]) config.insecureHttpCookies = true;
  const checked = portal.parsePortalConfig(config, file);
  if (!checked.tls && !checked.insecureHttpCookies && checked.trustProxy === false)
    throw new UsageError(
      "the portal would serve plain http with Secure cookies, which browsers drop: pass --insecure-http-cookies (this machine only), or give tls: { certFile, keyFile } in the config",
    );
  return checked;
}

/** Runs the portal until SIGINT/SIGTERM. */
export async function runPortal(argv: string[]): Promise<CommandResult> {
  const config = portalConfigFromArgs(argv);
  if (config === "help") return { stdout: PORTAL_USAGE, code: 0 };
  const portal = await portalApi().startPortal(config, { logger: { level: "info" } });
  process.stderr.write(
    `blueprints portal: listening on ${portal.url} (${config.desktops.length} desktops, ${config.admins.length} admins); Ctrl-C stops it\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await portal.close();
  return { stdout: "", code: 0 };
}
