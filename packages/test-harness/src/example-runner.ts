// Running examples/<name>/index.ts (a standalone Pulumi program) under the mock harness. An
// example that needs config gets it from examples/<name>/Pulumi.example.yaml (stack-file format).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "@openstack-blueprints/environments";
import type { MockHarness, ProgramRun } from "./pulumi-mocks";

/** The repository's examples/ (this file is packages/test-harness/src/example-runner.ts). */
export const EXAMPLES_DIR = path.resolve(__dirname, "../../../examples");

/** TypeScript examples: directories with an index.ts. */
export function listTsExamples(dir = EXAMPLES_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, "index.ts")))
    .sort();
}

export async function runExample(
  harness: MockHarness,
  example: string,
  dir = EXAMPLES_DIR,
): Promise<ProgramRun<Record<string, unknown>>> {
  const exampleDir = path.join(dir, example);
  const configFile = path.join(exampleDir, "Pulumi.example.yaml");
  const config = fs.existsSync(configFile) ? readStackFile(configFile) : { config: {}, secretKeys: [] };
  pulumi.runtime.setAllConfig(config.config, config.secretKeys);
  const entry = require.resolve(path.join(exampleDir, "index.ts"));
  delete require.cache[entry];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example runs on each require, after its cache entry is deleted
    return await harness.runProgram(() => require(entry) as Record<string, unknown>);
  } finally {
    pulumi.runtime.setAllConfig({});
  }
}
