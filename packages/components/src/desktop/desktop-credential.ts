/**
 * An employee's desktop password and its SHA-512 crypt hash, made once by a dynamic provider
 * and kept in Pulumi state (both secret).
 *
 * Why a provider and not RandomPassword + hashing in the program: SHA-512 crypt costs 5000
 * rounds (≈27 ms in Node) by design. Hashing in the program paid that for every employee on
 * every `pulumi preview` and `pulumi up` (27 s for a 1000-desktop pool) and needed a
 * reproducible salt (derived from a pool secret) so the user data would not change between
 * runs. Here the provider hashes once, at create, with a fresh random salt — like `mkpasswd` —
 * and later runs read the stored hash: no hashing in the program at all, and no derived salts.
 *
 * Rotation: any change of `rotation` (or of `length` or `user`) replaces the credential, i.e.
 * generates a new password; the desktop's user data then changes, so the desktop is rebuilt
 * with it (cloud-init sets passwords at first boot only).
 *
 * The session report token (the pool's `sessionReports`, the self-service portal's AutoStop) is
 * the desktop's second secret, made here too (`withReportToken`): one mechanism for per-desktop
 * secrets, in the pool's own provider process, with no provider plugin to install
 * (`@pulumi/random`'s cannot be built everywhere the engine runs). Turning it on or off is an
 * update, never a replacement: the password and its hash are kept, only the token is made or
 * dropped (the desktop's user data still changes, and with it the desktop: see docs/desktop.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { randomInt } from "node:crypto";
import { CRYPT_ALPHABET, jupyterPasswordHash, sha512Crypt } from "./sha512-crypt";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";
import { DIGITS, generateSecret, LOWER, RandomIntFn, UPPER } from "../secrets/generated-secret";

/**
 * How the guest receives the password: "sha512-crypt" ($6$…, for the OS account: desktops log in
 * through PAM) or "jupyter-sha512" (sha512:salt:hex, Jupyter's password check; see
 * jupyter-user-data.ts for why one round is enough for a random secret).
 */
export const HASH_SCHEMES = ["sha512-crypt", "jupyter-sha512"] as const;
export type HashScheme = (typeof HASH_SCHEMES)[number];

/** What the program gives the provider (no secrets: the password is made by the provider). */
export interface DesktopCredentialInputs {
  /** The Linux user the password is for (recorded in state; a change makes a new password). */
  user: string;
  /** Password length, 12–128 letters and digits. */
  length: number;
  /** Free text; changing it generates a new password (e.g. a date: "2026-11"). */
  rotation: string;
  /** Format of passwordHash; default "sha512-crypt". A change makes a new password. */
  hashScheme: HashScheme;
  /** Also make a session report token (AutoStop). A change updates in place: the password stays. */
  withReportToken: boolean;
}

/** What the provider keeps in state: the inputs plus the password and its hash (both secret). */
export interface DesktopCredentialOutputs extends DesktopCredentialInputs {
  password: string;
  /** "$6$<16 salt chars>$<86 chars>" (cloud-init's `hashed_passwd`) or "sha512:<salt>:<hex>" (Jupyter). */
  passwordHash: string;
  /** With withReportToken: REPORT_TOKEN_LENGTH letters and digits; absent without. */
  reportToken?: string;
}

export const PASSWORD_LENGTH_MIN = 12;
export const PASSWORD_LENGTH_MAX = 128;
/** The outputs Pulumi must encrypt in state and hide in previews. */
export const DESKTOP_CREDENTIAL_SECRET_OUTPUTS = ["password", "passwordHash", "reportToken"] as const;
/** Length of a session report token: 48 of 62 letters and digits, ~285 bits. */
export const REPORT_TOKEN_LENGTH = 48;

/** At least this many of each class, so the password passes common complexity rules. */
const MIN_PER_CLASS = 2;

/** Throws, naming `field`, unless `length` is a whole number from 12 to 128. */
export function checkPasswordLength(length: number, field = "passwordLength"): number {
  if (!Number.isInteger(length) || length < PASSWORD_LENGTH_MIN || length > PASSWORD_LENGTH_MAX) {
    throw new Error(`${field} ${length} must be a whole number from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}`);
  }
  return length;
}

export type { RandomIntFn } from "../secrets/generated-secret";

/**
 * A password of letters and digits with at least two lower-case letters, two upper-case letters
 * and two digits, drawn uniformly from a CSPRNG and shuffled (Fisher–Yates). Letters and digits
 * only: the thin clients' users type it, and RDP clients and keyboard layouts mangle symbols.
 */
export function generateDesktopPassword(length: number, random: RandomIntFn = (max) => randomInt(max)): string {
  checkPasswordLength(length, "desktop password length");
  return generateSecret(length, LOWER + UPPER + DIGITS, MIN_PER_CLASS, random);
}

/**
 * A session report token: REPORT_TOKEN_LENGTH letters and digits drawn uniformly from the CSPRNG
 * (URL- and header-safe; no class minimums: nobody types it).
 */
export function generateReportToken(random: RandomIntFn = (max) => randomInt(max)): string {
  const all = LOWER + UPPER + DIGITS;
  let token = "";
  for (let i = 0; i < REPORT_TOKEN_LENGTH; i++) token += all[random(all.length)];
  return token;
}

/** A 16-character crypt salt from the CSPRNG (the most SHA-512 crypt uses). */
export function randomCryptSalt(random: RandomIntFn = (max) => randomInt(max)): string {
  let salt = "";
  for (let i = 0; i < 16; i++) salt += CRYPT_ALPHABET[random(CRYPT_ALPHABET.length)];
  return salt;
}

/** Checks the inputs the provider receives (the component checks them earlier, with its own names). */
export function checkDesktopCredentialInputs(inputs: Partial<DesktopCredentialInputs>): DesktopCredentialInputs {
  if (typeof inputs.user !== "string" || inputs.user === "")
    throw new Error(`DesktopCredential: user "${String(inputs.user)}" must be a Linux user name`);
  checkPasswordLength(inputs.length as number, "DesktopCredential: length");
  const hashScheme = inputs.hashScheme ?? "sha512-crypt";
  if (!(HASH_SCHEMES as readonly string[]).includes(hashScheme))
    throw new Error(`DesktopCredential: hashScheme "${hashScheme}" is not one of ${HASH_SCHEMES.join(", ")}`);
  if (inputs.withReportToken !== undefined && typeof inputs.withReportToken !== "boolean")
    throw new Error(`DesktopCredential: withReportToken "${String(inputs.withReportToken)}" must be true or false`);
  return {
    user: inputs.user,
    length: inputs.length as number,
    rotation: typeof inputs.rotation === "string" ? inputs.rotation : "",
    hashScheme,
    withReportToken: inputs.withReportToken ?? false,
  };
}

/** The provider's create: a new password, hashed once with a fresh salt; a report token when asked. */
export function createDesktopCredential(inputs: Partial<DesktopCredentialInputs>): {
  id: string;
  outs: DesktopCredentialOutputs;
} {
  const checked = checkDesktopCredentialInputs(inputs);
  const password = generateDesktopPassword(checked.length);
  const passwordHash =
    checked.hashScheme === "jupyter-sha512"
      ? jupyterPasswordHash(password, randomCryptSalt())
      : sha512Crypt(password, { salt: randomCryptSalt() });
  // The ID names the user and a random tag; it reveals nothing about the password.
  const id = `${checked.user}-${randomCryptSalt().replace(/[./]/g, "x").slice(0, 8)}`;
  const outs: DesktopCredentialOutputs = { ...checked, password, passwordHash };
  if (checked.withReportToken) outs.reportToken = generateReportToken();
  return { id, outs };
}

/** Inputs whose change makes a new password (replacement). */
const REPLACING_INPUTS = ["user", "length", "rotation", "hashScheme"] as const;
/** Absent in older state or omitted: the defaults. */
const INPUT_DEFAULTS: Partial<DesktopCredentialInputs> = {
  rotation: "",
  hashScheme: "sha512-crypt",
  withReportToken: false,
};

/**
 * The provider's diff: a change of user, length, rotation or hashScheme means a new password
 * (replacement); withReportToken alone updates in place (the password is kept).
 */
export function diffDesktopCredential(
  olds: Partial<DesktopCredentialOutputs>,
  news: Partial<DesktopCredentialInputs>,
): pulumi.dynamic.DiffResult {
  const differs = (k: keyof DesktopCredentialInputs) =>
    (olds[k] ?? INPUT_DEFAULTS[k]) !== (news[k] ?? INPUT_DEFAULTS[k]);
  const replaces = REPLACING_INPUTS.filter(differs);
  // State from before the token came from here has no withReportToken: its absence is "false",
  // and a token in state without the flag is made consistent by an update too.
  const tokenChanges =
    differs("withReportToken") || (olds.reportToken !== undefined) !== (news.withReportToken === true);
  return {
    changes: replaces.length > 0 || tokenChanges,
    replaces: [...replaces],
    deleteBeforeReplace: false,
  };
}

/**
 * The provider's update (only withReportToken changed, per the diff): the password and its hash
 * stay as they are; the report token is made when asked and kept while it stays asked, or dropped.
 */
export function updateDesktopCredential(
  olds: DesktopCredentialOutputs,
  news: Partial<DesktopCredentialInputs>,
): { outs: DesktopCredentialOutputs } {
  const checked = checkDesktopCredentialInputs(news);
  for (const k of REPLACING_INPUTS)
    if ((olds[k] ?? INPUT_DEFAULTS[k]) !== checked[k])
      throw new Error(`DesktopCredential: ${k} changed; that replaces the credential, it is not an update`);
  const { reportToken: oldToken, ...kept } = olds;
  const outs: DesktopCredentialOutputs = {
    ...kept,
    ...checked,
    password: olds.password,
    passwordHash: olds.passwordHash,
  };
  if (checked.withReportToken) outs.reportToken = oldToken ?? generateReportToken();
  return { outs };
}

/**
 * Pulumi serialises the provider's functions into its provider process, where relative imports
 * mean nothing: they require this module by package path at run time (provider-process.ts).
 */
const MODULE = `${COMPONENTS_MODULE_ROOT}/desktop/desktop-credential`;

export const desktopCredentialProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: DesktopCredentialInputs) {
    return requireInProviderProcess<typeof import("./desktop-credential")>(MODULE).createDesktopCredential(inputs);
  },
  async diff(_id: string, olds: DesktopCredentialOutputs, news: DesktopCredentialInputs) {
    return requireInProviderProcess<typeof import("./desktop-credential")>(MODULE).diffDesktopCredential(olds, news);
  },
  async update(_id: string, olds: DesktopCredentialOutputs, news: DesktopCredentialInputs) {
    return requireInProviderProcess<typeof import("./desktop-credential")>(MODULE).updateDesktopCredential(olds, news);
  },
  // No delete: nothing exists outside the state.
};

export interface DesktopCredentialArgs {
  user: pulumi.Input<string>;
  length: pulumi.Input<number>;
  rotation?: pulumi.Input<string>;
  hashScheme?: pulumi.Input<HashScheme>;
  /** Also make a session report token (the `reportToken` output); default false. */
  withReportToken?: pulumi.Input<boolean>;
}

/**
 * One employee's password + SHA-512 crypt hash (and, when asked, the desktop's session report
 * token), generated once and kept (secret) in state.
 */
// `declare`, not `!`: a plain ES2022 field would reset the outputs super() set to undefined.
export class DesktopCredential extends pulumi.dynamic.Resource {
  declare public readonly user: pulumi.Output<string>;
  declare public readonly password: pulumi.Output<string>;
  declare public readonly passwordHash: pulumi.Output<string>;
  /** With withReportToken: the desktop's session report token (secret); undefined without. */
  declare public readonly reportToken: pulumi.Output<string | undefined>;

  constructor(name: string, args: DesktopCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      desktopCredentialProvider,
      name,
      {
        user: args.user,
        length: args.length,
        rotation: args.rotation ?? "",
        hashScheme: args.hashScheme ?? "sha512-crypt",
        withReportToken: args.withReportToken ?? false,
        password: undefined,
        passwordHash: undefined,
        reportToken: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...DESKTOP_CREDENTIAL_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "desktop-credential",
      "DesktopCredential",
    );
  }
}
