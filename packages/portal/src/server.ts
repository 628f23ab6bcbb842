/** Starts the portal: checks the config, connects to the cloud, listens (127.0.0.1 unless told otherwise). */
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { buildPortal } from "./app";
import { NovaDesktopCloud } from "./cloud";
import { PortalConfig, resolveCloud } from "./config";

export interface RunningPortal {
  /** http(s)://host:port/ the portal answers on. */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startPortal(
  config: PortalConfig,
  options: {
    logger?: FastifyServerOptions["logger"];
    env?: NodeJS.ProcessEnv;
    /** The portal's clock (AutoStop's idle limits, lockouts): tests move it forward instead of waiting. */
    now?: () => number;
  } = {},
): Promise<RunningPortal> {
  const client = new OpenStackClient(resolveCloud(config.cloud, options.env));
  // Authenticate now: a wrong cloud credential fails the start, not the first employee's page.
  await client.connect();
  const app = await buildPortal(config, new NovaDesktopCloud(client), { logger: options.logger, now: options.now });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  return { url: `${config.tls ? "https" : "http"}://${host}:${port}/`, app, close: () => app.close() };
}
