/**
 * The plugin folder (packages/components/plugin) started the way the engine's Node.js language
 * host starts a source-based provider: `node @pulumi/pulumi/cmd/run-plugin <folder> <engine>`
 * from the consumer's folder (here an empty temporary one, as a YAML project has no
 * tsconfig.json). run-plugin hooks a type-checking ts-node with default options into that
 * process, under which the sources do not compile; the folder must still come up, print its
 * port and answer GetSchema with the package openstack-blueprints and its components.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { exposedComponents, PROVIDER_NAME } from "../../src/provider-components";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const providerPb = require("@pulumi/pulumi/proto/provider_pb");

const PLUGIN_DIR = path.resolve(__dirname, "../../plugin");

describe("provider plugin folder, started as the engine starts it (run-plugin)", function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let consumerDir: string;

  before(() => {
    consumerDir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-consumer-"));
  });
  after(() => {
    child?.kill("SIGTERM");
    fs.rmSync(consumerDir, { recursive: true, force: true });
  });

  it("prints a port and serves the schema of package openstack-blueprints", async () => {
    const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [PLUGIN_DIR] });
    const env = { ...process.env };
    // The test's own ts-node settings must not help the plugin: the engine sets none.
    delete env.TS_NODE_PROJECT;
    delete env.TS_NODE_TRANSPILE_ONLY;
    delete env.NODE_OPTIONS;
    // The engine address is only used for logging until a request comes; nothing listens there.
    child = spawn(process.execPath, [runPlugin, PLUGIN_DIR, "127.0.0.1:1"], { cwd: consumerDir, env });
    const port = await firstLine(child);
    expect(port, "the plugin's first line of output").to.match(/^\d+$/);

    const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const schema = await new Promise<{ name: string; resources: Record<string, unknown> }>((resolve, reject) =>
      client.getSchema(new providerPb.GetSchemaRequest(), (err: Error | null, res: { getSchema(): string }) =>
        err ? reject(err) : resolve(JSON.parse(res.getSchema())),
      ),
    );
    client.close();
    expect(schema.name).to.equal(PROVIDER_NAME);
    expect(Object.keys(schema.resources).sort()).to.deep.equal(
      exposedComponents.map((c) => `${PROVIDER_NAME}:index:${c.name}`).sort(),
    );
  });
});

/** The child's first stdout line; its stderr is kept for the error if it exits first. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => reject(new Error(`the plugin exited with code ${code} before a port:\n${out}${err}`)));
  });
}
