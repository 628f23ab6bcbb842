/** Entry point of the `blueprints` command: dispatches to subcommands. */
import { CAPACITY_USAGE, runCapacity, CommandResult } from "./capacity-command";
import { runCheck, UsageError } from "./check-command";
import { runPortal } from "./portal-command";

export const SUBCOMMANDS: Record<
  string,
  { summary: string; run: (argv: string[]) => CommandResult | Promise<CommandResult> }
> = {
  capacity: { summary: "how many desktops fit on compute hosts, and the cost against PCs", run: runCapacity },
  check: { summary: "validate a Pulumi.<stack>.yaml offline: every problem with its config key", run: runCheck },
  portal: { summary: "run the self-service portal here, against a config or a stack's outputs", run: runPortal },
};

export function usage(): string {
  return [
    "Usage: blueprints <command> [options]",
    "",
    "Commands:",
    ...Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`),
    "",
    "Run `blueprints <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/** Runs the CLI; returns the exit status. Errors in arguments are printed with the usage hint. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h") {
    process.stdout.write(usage());
    return command ? 0 : 1;
  }
  const sub = SUBCOMMANDS[command];
  if (!sub) {
    process.stderr.write(`blueprints: unknown command "${command}"\n${usage()}`);
    return 1;
  }
  try {
    const result = await sub.run(rest);
    process.stdout.write(result.stdout);
    return result.code;
  } catch (error) {
    process.stderr.write(`blueprints ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (command === "capacity") process.stderr.write(`\n${CAPACITY_USAGE}`);
    else process.stderr.write(`Run \`blueprints ${command} --help\` for its usage.\n`);
    return error instanceof UsageError ? error.code : 1;
  }
}
