/**
 * Desktops from a stack's outputs (`pulumi stack output --json --show-secrets`), for an admin who
 * runs the portal next to their stack (`blueprints portal … --outputs`). The environments export a
 * pool's `desktops.desktops` (employee → server id, address, host name), `desktops.passwordHashes`
 * (the hashes the guests got: used as they are), `desktops.passwords` and, with AutoStop,
 * `desktops.reportTokens` (each guest's report token: only its hash is kept); a stack made before the
 * pool exported hashes gives passwords only, which are hashed here, in memory, with a fresh salt
 * each, and dropped: the portal keeps only hashes, as it does from a config file.
 */
import { randomInt } from "node:crypto";
import { CRYPT_ALPHABET, sessionReportTokenHash, sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { ConfigProblem, PortalConfigError } from "./config";

type RawDesktop = {
  serverId: string;
  passwordHash: string;
  address?: string;
  hostname?: string;
  jupyterUrl?: string;
  reportTokenHash?: string;
};

function salt(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += CRYPT_ALPHABET[randomInt(CRYPT_ALPHABET.length)];
  return s;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The `desktops:` map of a portal config from stack outputs. `prefix` is the block's output prefix
 * ("desktops." in the environments). Throws naming the missing output and how to get it.
 */
export function desktopsFromStackOutputs(
  outputs: unknown,
  where = "stack outputs",
  prefix = "desktops.",
): Record<string, RawDesktop> {
  const problems: ConfigProblem[] = [];
  const o = isRecord(outputs) ? outputs : {};
  const desktops = o[`${prefix}desktops`];
  const passwords = o[`${prefix}passwords`];
  const hashes = o[`${prefix}passwordHashes`];
  // AutoStop: a pool with sessionReports exports its guests' report tokens; the portal keeps their hashes.
  const tokens = isRecord(o[`${prefix}reportTokens`]) ? (o[`${prefix}reportTokens`] as Record<string, unknown>) : {};
  const urls = isRecord(o[`${prefix}jupyterUrls`]) ? (o[`${prefix}jupyterUrls`] as Record<string, unknown>) : {};
  if (!isRecord(desktops))
    problems.push({
      field: `${prefix}desktops`,
      value: desktops === undefined ? "(missing)" : typeof desktops,
      problem:
        "is not an output of this stack; give the JSON of `pulumi stack output --json --show-secrets` of a stack with a desktop pool",
    });
  if (!isRecord(hashes) && !isRecord(passwords))
    problems.push({
      field: `${prefix}passwords`,
      value: passwords === "[secret]" ? '"[secret]"' : passwords === undefined ? "(missing)" : typeof passwords,
      problem:
        "is needed to check sign-ins; run `pulumi stack output --json --show-secrets` (the portal hashes them in memory and keeps no clear password)",
    });
  if (problems.length) throw new PortalConfigError(where, problems);

  const out: Record<string, RawDesktop> = {};
  for (const [employee, info] of Object.entries(desktops as Record<string, unknown>)) {
    const d = isRecord(info) ? info : {};
    const given = isRecord(hashes) ? hashes[employee] : undefined;
    const clear = isRecord(passwords) ? passwords[employee] : undefined;
    if (typeof d.serverId !== "string" || d.serverId === "") {
      problems.push({
        field: `${prefix}desktops.${employee}.serverId`,
        value: JSON.stringify(d.serverId ?? null),
        problem: "is missing; run `pulumi up` so the desktop exists, then export the outputs again",
      });
      continue;
    }
    if (typeof given !== "string" && typeof clear !== "string") {
      problems.push({
        field: `${prefix}passwords.${employee}`,
        value: "(missing)",
        problem: "has no password for this employee; export the outputs with --show-secrets",
      });
      continue;
    }
    out[employee] = {
      serverId: d.serverId,
      passwordHash: typeof given === "string" ? given : sha512Crypt(clear as string, { salt: salt() }),
      ...(typeof d.address === "string" && d.address ? { address: d.address } : {}),
      ...(typeof d.hostname === "string" && d.hostname ? { hostname: d.hostname } : {}),
      ...(typeof urls[employee] === "string" && urls[employee] ? { jupyterUrl: urls[employee] as string } : {}),
      ...(typeof tokens[employee] === "string" && tokens[employee]
        ? { reportTokenHash: sessionReportTokenHash(tokens[employee] as string) }
        : {}),
    };
  }
  if (problems.length) throw new PortalConfigError(where, problems);
  return out;
}
