/** Command line: minicloud up | down [--purge] | status | env [cloud]. */
import { parseArgs } from "node:util";

export const USAGE = `usage: minicloud <command> [options]
  up [--skip-install] [--guests]
                        install (apt), configure, start and bootstrap; fast when already up.
                        --guests adds a compute host that boots real guests (libvirt, QEMU TCG)
                        in availability zone 'guests', with Neutron's DHCP, L3 and metadata
                        agents and enforced security groups; remembered until 'down --purge'
  status                each process: pid, alive, API answering (exit 1 if any is down)
  down [--purge]        stop what minicloud started (by pid); --purge also removes data and config
  env [CLOUD]           print 'export OS_CLOUD=...' (CLOUD: minicloud-admin | minicloud-a | minicloud-b)
  help, --help, -h      this text; \`minicloud <command> --help\` prints it too and does nothing else
`;

/** What the command line asks for, decided before anything runs. */
export type MinicloudCommand =
  | { kind: "help"; code: number }
  | { kind: "error"; message: string }
  | { kind: "up"; skipInstall: boolean; guests: boolean }
  | { kind: "down"; purge: boolean }
  | { kind: "status" }
  | { kind: "env"; cloud: string };

const OPTIONS: Record<string, { flags: Record<string, { type: "boolean" }>; positionals: number }> = {
  up: { flags: { "skip-install": { type: "boolean" }, guests: { type: "boolean" } }, positionals: 0 },
  down: { flags: { purge: { type: "boolean" } }, positionals: 0 },
  status: { flags: {}, positionals: 0 },
  env: { flags: {}, positionals: 1 },
};

/**
 * Pure: reads the arguments without touching the machine. `up` installs packages and starts
 * daemons as root, so `--help` anywhere wins over the command, and a mistyped flag
 * (`down --purg`) is refused instead of being ignored while the command runs anyway.
 */
export function parseCommand(argv: string[]): MinicloudCommand {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return { kind: "help", code: 2 };
  if (argv.includes("--help") || argv.includes("-h") || cmd === "help") return { kind: "help", code: 0 };
  const spec = OPTIONS[cmd];
  if (!spec) return { kind: "error", message: `unknown command '${cmd}'` };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec.flags, strict: true, allowPositionals: true });
  } catch (e) {
    return { kind: "error", message: `${cmd}: ${(e as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (positionals.length > spec.positionals)
    return {
      kind: "error",
      message: `${cmd}: unexpected argument '${positionals[spec.positionals]}'${spec.positionals ? "" : ` (${cmd} takes none)`}`,
    };
  switch (cmd) {
    case "up":
      return { kind: "up", skipInstall: values["skip-install"] === true, guests: values.guests === true };
    case "down":
      return { kind: "down", purge: values.purge === true };
    case "status":
      return { kind: "status" };
    default:
      return { kind: "env", cloud: positionals[0] ?? "minicloud-a" };
  }
}

export async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.kind) {
    case "help":
      process.stdout.write(USAGE);
      return command.code;
    case "error":
      process.stderr.write(`minicloud: ${command.message}\n${USAGE}`);
      return 2;
    default:
      break;
  }
  // The modules that act on the machine load only once the arguments are known to be good.
  const control = await import("./control");
  switch (command.kind) {
    case "up": {
      const { up } = await import("./up");
      await up({ skipInstall: command.skipInstall, guests: command.guests });
      return 0;
    }
    case "down":
      await control.down({ purge: command.purge });
      return 0;
    case "status": {
      const rows = await control.status();
      process.stdout.write(control.formatStatus(rows));
      return rows.every((r) => r.alive && r.answering !== false) ? 0 : 1;
    }
    case "env":
      process.stdout.write(control.env(command.cloud));
      return 0;
  }
}
