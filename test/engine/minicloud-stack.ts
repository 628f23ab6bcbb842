/**
 * The set-up and tear-down the real-engine tests of a program on minicloud share: find the
 * engine and minicloud (skip with the reason, or fail under BLUEPRINTS_CI=1), connect to the
 * cloud, make sure the images the program names exist, create the stack; and after the tests,
 * whether they passed or not, destroy what the stack still holds, check with the cloud's own
 * APIs that it is gone, and remove the stack.
 */
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { ensureNamedImage, leftovers } from "./cloud-checks";
import { cloudResources, EngineStack, requireEngine, requireYamlHost, StackOptions } from "./pulumi-engine";

/** The stack and the cloud connection of one describe block; set by its before() hook. */
export interface MinicloudStack {
  stack: EngineStack;
  client: OpenStackClient;
}

export interface MinicloudStackOptions {
  /** The cloud of clouds.yaml the tests ask and the stack's provider uses (OS_CLOUD). */
  cloud: string;
  /** Images the program names, made from minicloud's tiny image where missing (see ensureNamedImage). */
  images?: string[];
  /** The program is Pulumi YAML: the YAML language host must be built too, and goes on PATH. */
  yamlHost?: boolean;
  /**
   * The stack's options but its cloud and plugin folders; called in before() once the engine
   * and the cloud are there (so it may prepare the program, e.g. install a consumer project).
   */
  stack: () => Omit<StackOptions, "cloud" | "extraBinDirs"> | Promise<Omit<StackOptions, "cloud" | "extraBinDirs">>;
}

/**
 * Registers the describe block's before() and after() hooks and returns what before() sets:
 * call it at the top of the block, use `.stack` and `.client` in its tests.
 */
export function useMinicloudStack(options: MinicloudStackOptions): MinicloudStack {
  const made: Partial<MinicloudStack> = {};

  before(async function () {
    const bin = requireEngine(this);
    const yamlBin = options.yamlHost ? requireYamlHost(this) : undefined;
    await requireMinicloud(this);
    made.client = await new OpenStackClient(loadCloud(options.cloud)).connect();
    for (const name of options.images ?? []) await ensureNamedImage(made.client, name);
    made.stack = new EngineStack(bin, {
      ...(await options.stack()),
      cloud: options.cloud,
      ...(yamlBin ? { extraBinDirs: [yamlBin] } : {}),
    });
    await made.stack.init();
  });

  after(async function () {
    try {
      // A failed test still tears the stack down, so the next run starts clean.
      if (made.stack) await tearDownStack(made.stack, made.client);
    } finally {
      made.client?.close();
    }
  });

  // Read only inside hooks and tests, after before() has set them.
  return made as MinicloudStack;
}

/**
 * Tears a stack down whatever its tests did: when its state still holds resources (a test failed
 * before its own destroy), `pulumi destroy`, and with a client, ask the cloud that none of its
 * OpenStack resources is left; then remove the stack and its run folder. When the destroy fails
 * or leaves something, the stack and its state stay in the run folder and this throws saying
 * so: removing the state would forget what is still in the cloud.
 */
export async function tearDownStack(stack: EngineStack, client?: OpenStackClient): Promise<void> {
  const state = await stack.exportState().catch(() => undefined);
  if (state?.deployment.resources?.some((r) => r.id)) {
    const destroyed = await stack.run(["destroy", "--yes", "--skip-preview"]);
    if (destroyed.code !== 0)
      throw new Error(
        `cleanup: pulumi destroy exited ${destroyed.code}; the stack's state is kept in ${stack.runDir}:\n${destroyed.stdout.slice(-3000)}\n${destroyed.stderr.slice(-2000)}`,
      );
    const left = client ? await leftovers(client, cloudResources(state)) : [];
    if (left.length > 0)
      throw new Error(
        `cleanup: after pulumi destroy the cloud still has:\n${left.join("\n")}\nthe stack's state is kept in ${stack.runDir}`,
      );
  }
  await stack.remove();
}
