import * as http from "node:http";
import { ConfigError, parseFrontendConfig, parseOperationConfig } from "./config";
import { createFrontendServer } from "./frontend";
import { createOperationServer } from "./operation-service";
import { OperationName, OPERATIONS } from "./operations";

/**
 * Process entry points used by the bundles: parse the configuration, listen, log one line
 * saying where, and exit cleanly on SIGTERM (what `systemctl stop` sends). A bad flag or a
 * failed bind exits non-zero so systemd's Restart=on-failure and the journal show it.
 */
function listen(server: http.Server, what: string, host: string, port: number): void {
  server.on("error", (err) => {
    console.error(`${what}: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    // The bound port, not the requested one: with --port 0 the kernel picks it (tests rely on this line).
    const address = server.address();
    const bound = address && typeof address === "object" ? address.port : port;
    console.log(`${what} listening on http://${host}:${bound}`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

function configOrExit<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${what}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

export function runFrontend(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const config = configOrExit("calculator front end", () => parseFrontendConfig(argv, env));
  listen(createFrontendServer(config), "calculator front end", config.host, config.port);
}

export function runOperation(name: OperationName, argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const config = configOrExit(`${name} service`, () => parseOperationConfig(name, argv, env));
  listen(createOperationServer(OPERATIONS[name]), `${name} service`, config.host, config.port);
}
