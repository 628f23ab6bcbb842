import { DEFAULT_SERVICE_TIMEOUT_MS, FrontendOptions } from "./frontend";
import { FRONTEND_DEFAULT_PORT, OPERATION_NAMES, OperationName, OPERATIONS } from "./operations";

/**
 * Start-up configuration from command-line flags (`--name value` or `--name=value`) with
 * environment variables as fallback; flags win. systemd units pass flags, so `ps` and the
 * unit file show exactly what a server was started with.
 *
 *   --host / CALCULATOR_HOST               address to bind (default 127.0.0.1)
 *   --port / CALCULATOR_PORT               TCP port (front end 50000, services 50001–50004)
 *   --sum-url … --div-url / CALCULATOR_SUM_URL …   front end only: service base URLs
 *   --service-timeout-ms / CALCULATOR_SERVICE_TIMEOUT_MS   front end only (default 3000)
 */
export interface ListenConfig {
  host: string;
  port: number;
}

export type FrontendConfig = ListenConfig & FrontendOptions;

const SERVICE_FLAGS: Record<OperationName, string> = { sum: "sum-url", sub: "sub-url", mul: "mul-url", div: "div-url" };

export class ConfigError extends Error {}

function parseFlags(argv: readonly string[], allowed: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--"))
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}; flags look like --port 50000`);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!allowed.includes(name))
      throw new ConfigError(`unknown flag --${name}; known flags: ${allowed.map((f) => `--${f}`).join(", ")}`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === "") throw new ConfigError(`flag --${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

function setting(flags: Map<string, string>, env: NodeJS.ProcessEnv, flag: string): string | undefined {
  return flags.get(flag) ?? env[`CALCULATOR_${flag.toUpperCase().replace(/-/g, "_")}`];
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535)
    throw new ConfigError(`${source} must be a TCP port 0–65535 (0 lets the kernel pick), got ${JSON.stringify(text)}`);
  return port;
}

function parseListen(flags: Map<string, string>, env: NodeJS.ProcessEnv, defaultPort: number): ListenConfig {
  const port = setting(flags, env, "port");
  return {
    host: setting(flags, env, "host") ?? "127.0.0.1",
    port: port === undefined ? defaultPort : parsePort(port, "--port"),
  };
}

export function parseOperationConfig(
  operation: OperationName,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ListenConfig {
  return parseListen(parseFlags(argv, ["host", "port"]), env, OPERATIONS[operation].defaultPort);
}

export function parseFrontendConfig(argv: readonly string[], env: NodeJS.ProcessEnv): FrontendConfig {
  const flags = parseFlags(argv, [
    "host",
    "port",
    "service-timeout-ms",
    ...OPERATION_NAMES.map((n) => SERVICE_FLAGS[n]),
  ]);
  const listen = parseListen(flags, env, FRONTEND_DEFAULT_PORT);
  const services = {} as Record<OperationName, string>;
  for (const name of OPERATION_NAMES) {
    const url = setting(flags, env, SERVICE_FLAGS[name]) ?? `http://127.0.0.1:${OPERATIONS[name].defaultPort}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`--${SERVICE_FLAGS[name]} must be an http:// URL, got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== "http:")
      throw new ConfigError(`--${SERVICE_FLAGS[name]} must be an http:// URL, got ${JSON.stringify(url)}`);
    services[name] = url;
  }
  const timeoutText = setting(flags, env, "service-timeout-ms");
  const serviceTimeoutMs = timeoutText === undefined ? DEFAULT_SERVICE_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(serviceTimeoutMs) || serviceTimeoutMs < 1 || serviceTimeoutMs > 600000) {
    throw new ConfigError(
      `--service-timeout-ms must be an integer number of milliseconds 1–600000, got ${JSON.stringify(timeoutText)}`,
    );
  }
  return { ...listen, services, serviceTimeoutMs };
}
