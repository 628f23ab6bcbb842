/**
 * `blueprints check <stack file>`: validates a Pulumi.<stack>.yaml offline, from any folder, with
 * the same checks the root program makes before it declares anything (every problem at once,
 * each naming its config key). `secure:` values are never decrypted or printed: they stand in as
 * placeholders, and errors about secret settings leave their values out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CONFIG_NAMESPACE } from "@openstack-blueprints/components";
import type { CommandResult } from "./capacity-command";

export const CHECK_USAGE = `Usage: blueprints check STACK_FILE [--json]

  STACK_FILE              a stack's config file, e.g. stacks/Pulumi.office.yaml (any folder)
  --json                  print {"file", "ok", "problems"} instead of text

Checks the ${CONFIG_NAMESPACE}:* settings offline (no Pulumi CLI, no cloud, secrets not
decrypted): the environment kind, what each block needs, every value against its schema, the
desktops' reachability from the thin clients, and plain values under secret-looking keys.
Prints "ok" or every problem with its config key. Exit status: 0 ok, 1 problems, 2 bad arguments.
`;

type EnvironmentsApi = typeof import("@openstack-blueprints/environments");

// The environments package (the root program's blocks and their schemas) is loaded when `check`
// runs, not when the CLI starts: it loads the components and Pulumi, which `capacity` and
// `--help` do not need. It is a dependency of this package, installed with it.
const ENVIRONMENTS = "@openstack-blueprints/environments";

function environments(): EnvironmentsApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use; see ENVIRONMENTS
  return require(ENVIRONMENTS) as EnvironmentsApi;
}

export class UsageError extends Error {
  readonly code = 2;
}

/** The problems of a stack file, each naming its config key; empty when it is ok. */
export function stackFileProblems(file: string): string[] {
  const env = environments();
  let stackFile: ReturnType<EnvironmentsApi["readStackFile"]>;
  try {
    stackFile = env.readStackFile(file);
  } catch (e) {
    throw new UsageError(`stack file ${file} is not readable YAML: ${(e as Error).message}`, { cause: e });
  }
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw = Object.fromEntries(
    Object.entries(stackFile.config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const problems = env.checkStackConfig(raw).problems;
  for (const key of stackFile.plainSecrets)
    problems.push(
      `${key}: looks like a secret but is a plain value; set it with \`pulumi config set --secret --path '${key}'\``,
    );
  return problems;
}

export function runCheck(argv: string[]): CommandResult {
  if (argv.includes("--help") || argv.includes("-h")) return { code: 0, stdout: CHECK_USAGE };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { json: { type: "boolean" } } });
  } catch (e) {
    throw new UsageError((e as Error).message, { cause: e });
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "give the stack file to check, e.g. blueprints check stacks/Pulumi.office.yaml"
        : `give one stack file, not ${positionals.length} (${positionals.join(" ")})`,
    );
  const file = positionals[0];
  if (!fs.existsSync(file))
    throw new UsageError(
      `stack file ${file} not found${path.isAbsolute(file) ? "" : ` (relative to ${process.cwd()})`}; give the path of an existing Pulumi.<stack>.yaml`,
    );
  if (fs.statSync(file).isDirectory())
    throw new UsageError(`stack file ${file} is a folder; give the path of a Pulumi.<stack>.yaml in it`);
  const problems = stackFileProblems(file);
  const code = problems.length > 0 ? 1 : 0;
  if (values.json) return { code, stdout: `${JSON.stringify({ file, ok: code === 0, problems }, null, 2)}\n` };
  return {
    code,
    stdout:
      problems.length === 0
        ? `${file}: ok\n`
        : `${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}\n`).join("")}`,
  };
}
