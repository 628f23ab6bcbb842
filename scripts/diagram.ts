// npm run diagram -- --stack NAME [--out DIR]
// Renders the planned topology of a stack as Mermaid (DIR/NAME.mmd) and SVG (DIR/NAME.svg),
// from the root program run under the mock harness with the stack's config: no cloud, no CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import { buildTopology, renderMermaid, renderSvg } from "@openstack-blueprints/diagram";
import { listStacks } from "@openstack-blueprints/environments";
import { defaultExistingCloud, installMocks } from "@openstack-blueprints/test-harness";
import { STACKS_DIR, runStack, type StackRun } from "@openstack-blueprints/test-harness/src/stack-runner";

function argument(name: string, args: string[]): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

export async function renderStackDiagram(
  stack: string,
  outDir: string,
  precomputed?: StackRun,
): Promise<{ mermaidFile: string; svgFile: string }> {
  const run = precomputed ?? (await runStack(installMocks(), stack));
  if (run.thrown) throw run.thrown;
  if (run.errors.length > 0)
    throw new Error(`stack ${stack} fails under the harness:\n  ${run.errors.map((e) => e.message).join("\n  ")}`);
  const existingNetworks = Object.fromEntries(
    defaultExistingCloud().networks.map((n) => [n.id, { name: n.name, cidrs: (n.subnets ?? []).map((s) => s.cidr) }]),
  );
  const topology = buildTopology(run.resources, { existingNetworks });
  const title = `stack ${stack}`;
  fs.mkdirSync(outDir, { recursive: true });
  const mermaidFile = path.join(outDir, `${stack}.mmd`);
  const svgFile = path.join(outDir, `${stack}.svg`);
  fs.writeFileSync(mermaidFile, renderMermaid(topology, title));
  fs.writeFileSync(svgFile, renderSvg(topology, title));
  return { mermaidFile, svgFile };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stack = argument("stack", args);
  const stacks = listStacks(STACKS_DIR);
  if (!stack || !stacks.includes(stack)) {
    console.error(
      `usage: npm run diagram -- --stack NAME [--out DIR]\n  stacks: ${stacks.join(", ")}${stack ? `\n  no stack ${JSON.stringify(stack)}` : ""}`,
    );
    process.exit(2);
  }
  const outDir = path.resolve(argument("out", args) ?? path.resolve(__dirname, "../docs/diagrams"));
  const result = await renderStackDiagram(stack, outDir);
  console.log(fs.readFileSync(result.mermaidFile, "utf8"));
  console.error(
    `wrote ${path.relative(process.cwd(), result.mermaidFile)} and ${path.relative(process.cwd(), result.svgFile)}`,
  );
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
