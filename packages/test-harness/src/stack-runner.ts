// Running the root program (packages/environments) for one stack file under the mock harness,
// the way `pulumi preview --stack NAME` would run it: the stack's config handed to the SDK with
// pulumi.runtime.setAllConfig (secrets marked secret; `secure:` ciphertext replaced by
// placeholders, as it cannot be decrypted here), then every registration awaited.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  composeEnvironment,
  readStackFile,
  stackFilePath,
  type ComposedEnvironment,
} from "@openstack-blueprints/environments";
import {
  defaultExistingCloud,
  freshDevstackCloud,
  type ExistingCloud,
  type MockHarness,
  type ProgramRun,
} from "./pulumi-mocks";

/** The repository root (this file is packages/test-harness/src/stack-runner.ts). */
const REPO_ROOT = path.resolve(__dirname, "../../..");

export const STACKS_DIR = path.join(REPO_ROOT, "stacks");

export interface StackRun extends ProgramRun<ComposedEnvironment> {
  stack: string;
  secretKeys: string[];
  plainSecrets: string[];
}

export const ROOT_PROGRAM = path.join(REPO_ROOT, "index.ts");

const runs = new Map<string, Promise<StackRun>>();

/**
 * runStack, once per stack and process: the stacks, policy and diagram tests share the run
 * (a 200-desktop office takes tens of seconds under the harness). Records are snapshots, so a
 * later program resetting the harness does not change them.
 */
export function runStackOnce(harness: MockHarness, stack: string): Promise<StackRun> {
  if (!runs.has(stack)) runs.set(stack, runStack(harness, stack));
  return runs.get(stack)!;
}

/** The cloud a stack starts from: a fresh DevStack when the stack builds one, else an existing cloud. */
export function startingCloud(config: Record<string, unknown>): ExistingCloud {
  return config["openstack-blueprints:devstack"] !== undefined ? freshDevstackCloud() : defaultExistingCloud();
}

/** Runs the root program's composition of a stack's config under the harness. */
export async function runStack(harness: MockHarness, stack: string, stacksDir = STACKS_DIR): Promise<StackRun> {
  const file = readStackFile(stackFilePath(stacksDir, stack));
  pulumi.runtime.setAllConfig(file.config, file.secretKeys);
  try {
    const run = await harness.runProgram(() => composeEnvironment(), startingCloud(file.config));
    return { ...run, stack, secretKeys: file.secretKeys, plainSecrets: file.plainSecrets };
  } finally {
    pulumi.runtime.setAllConfig({});
  }
}

/** Runs the root index.ts itself, exactly what `pulumi up --stack NAME` runs (no skipping). */
export async function runRootProgram(
  harness: MockHarness,
  stack: string,
  stacksDir = STACKS_DIR,
): Promise<ProgramRun<Record<string, unknown>>> {
  const file = readStackFile(stackFilePath(stacksDir, stack));
  pulumi.runtime.setAllConfig(file.config, file.secretKeys);
  const entry = require.resolve(ROOT_PROGRAM);
  delete require.cache[entry];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the root program runs on each require, after its cache entry is deleted
    return await harness.runProgram(() => require(entry) as Record<string, unknown>, startingCloud(file.config));
  } finally {
    pulumi.runtime.setAllConfig({});
  }
}
