/** Command line: minicloud up | down [--purge] | status | env [cloud]. */
import { down, env, formatStatus, status } from "./control";
import { up } from "./up";

const USAGE = `usage: minicloud <command>
  up [--skip-install]   install (apt), configure, start and bootstrap; fast when already up
  status                each process: pid, alive, API answering (exit 1 if any is down)
  down [--purge]        stop what minicloud started (by pid); --purge also removes data and config
  env [CLOUD]           print 'export OS_CLOUD=...' (CLOUD: minicloud-admin | minicloud-a | minicloud-b)
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "up":
      await up({ skipInstall: rest.includes("--skip-install") });
      return 0;
    case "down":
      await down({ purge: rest.includes("--purge") });
      return 0;
    case "status": {
      const rows = await status();
      process.stdout.write(formatStatus(rows));
      return rows.every((r) => r.alive && r.answering !== false) ? 0 : 1;
    }
    case "env":
      process.stdout.write(env(rest[0] ?? "minicloud-a"));
      return 0;
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`minicloud: unknown command '${cmd}'\n${USAGE}`);
      return 2;
  }
}
