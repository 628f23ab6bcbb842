/**
 * A generated secret (a password, a session key, an application credential's secret), made once
 * by a dynamic provider from the OS CSPRNG and kept in Pulumi state as a secret.
 *
 * Why not `@pulumi/random`'s RandomPassword: its provider plugin (pulumi-resource-random) has to
 * be installed next to the engine, and it cannot be built everywhere the engine runs (the Go
 * module proxy refuses it on our CI machines). A dynamic provider runs in the engine's Node.js
 * provider process, which every Node.js program already has: no plugin to install.
 *
 * Lifecycle: the value is made at create and kept. It is made again (a replacement) only when
 * asked: when `keepers` change, or when the shape asked for (length, alphabet, minimums per
 * class) changes, since the kept value would no longer fit it. `initialValue` adopts a value that
 * exists already (e.g. one RandomPassword made before this provider): used at create instead of
 * generating, and ignored afterwards (use keepers to rotate). What stacks made with
 * RandomPassword see: docs/desktop.md (the portal) and docs/devstack.md (adoptPasswords).
 */
import * as pulumi from "@pulumi/pulumi";
import { randomInt } from "node:crypto";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";

export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const DIGITS = "0123456789";
/** Letters and digits: URL-, header-, shell- and config-file-safe, and typeable on any keyboard. */
export const ALPHANUMERIC = LOWER + UPPER + DIGITS;

export const SECRET_LENGTH_MIN = 8;
export const SECRET_LENGTH_MAX = 256;

/** An integer in [0, max): crypto.randomInt by default (unbiased, from the OS CSPRNG). */
export type RandomIntFn = (max: number) => number;

/**
 * `length` characters from `alphabet`, with at least `minPerClass` lower-case letters, upper-case
 * letters and digits (each class the alphabet holds), drawn uniformly from a CSPRNG: the class
 * minimums first, then the rest from the whole alphabet, then a Fisher–Yates shuffle.
 */
export function generateSecret(
  length: number,
  alphabet: string = ALPHANUMERIC,
  minPerClass = 0,
  random: RandomIntFn = (max) => randomInt(max),
): string {
  const pick = (chars: string) => chars[random(chars.length)];
  const chars: string[] = [];
  for (const cls of [LOWER, UPPER, DIGITS]) {
    const inAlphabet = [...cls].filter((c) => alphabet.includes(c)).join("");
    if (inAlphabet === "") continue;
    for (let i = 0; i < minPerClass; i++) chars.push(pick(inAlphabet));
  }
  while (chars.length < length) chars.push(pick(alphabet));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

/** What the program gives the provider (no secret but an adopted initialValue). */
export interface GeneratedSecretInputs {
  /** 8–256 characters. */
  length: number;
  /** The characters to draw from (at least 10 distinct); default letters and digits. */
  alphabet: string;
  /** At least this many of each class (lower, upper, digit) the alphabet holds; default 0. */
  minPerClass: number;
  /** Free values; a change makes a new secret (e.g. { rotation: "2026-11" }). */
  keepers: Record<string, string>;
  /** Adopted at create instead of generating (secret); ignored once made. */
  initialValue?: string;
}

/** What the provider keeps in state: the inputs and the value (secret). */
export interface GeneratedSecretOutputs extends GeneratedSecretInputs {
  value: string;
}

/** The outputs Pulumi must encrypt in state and hide in previews and logs. */
export const GENERATED_SECRET_SECRET_OUTPUTS = ["value", "initialValue"] as const;

/** Every problem with the inputs, each naming the field, the value and the fix. */
export function generatedSecretProblems(inputs: Partial<GeneratedSecretInputs>, what = "GeneratedSecret"): string[] {
  const problems: string[] = [];
  const { length, alphabet = ALPHANUMERIC, minPerClass = 0, keepers = {} } = inputs;
  if (
    typeof length !== "number" ||
    !Number.isInteger(length) ||
    length < SECRET_LENGTH_MIN ||
    length > SECRET_LENGTH_MAX
  )
    problems.push(
      `${what}: length ${String(length)} must be a whole number from ${SECRET_LENGTH_MIN} to ${SECRET_LENGTH_MAX}`,
    );
  if (typeof alphabet !== "string" || new Set(alphabet).size < 10)
    problems.push(`${what}: alphabet "${String(alphabet)}" must hold at least 10 distinct characters`);
  const classes = [LOWER, UPPER, DIGITS].filter((cls) => [...cls].some((c) => String(alphabet).includes(c))).length;
  if (!Number.isInteger(minPerClass) || minPerClass < 0)
    problems.push(`${what}: minPerClass ${String(minPerClass)} must be a whole number, 0 or more`);
  else if (typeof length === "number" && minPerClass * classes > length)
    problems.push(
      `${what}: minPerClass ${minPerClass} × ${classes} classes exceeds length ${length}; lower minPerClass or raise length`,
    );
  if (typeof keepers !== "object" || keepers === null || Object.values(keepers).some((v) => typeof v !== "string"))
    problems.push(`${what}: keepers must map names to strings`);
  if (inputs.initialValue !== undefined && typeof inputs.initialValue !== "string")
    problems.push(`${what}: initialValue must be a string`);
  return problems;
}

function checked(inputs: Partial<GeneratedSecretInputs>): GeneratedSecretInputs {
  const problems = generatedSecretProblems(inputs);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return {
    length: inputs.length as number,
    alphabet: inputs.alphabet ?? ALPHANUMERIC,
    minPerClass: inputs.minPerClass ?? 0,
    keepers: inputs.keepers ?? {},
    ...(inputs.initialValue !== undefined ? { initialValue: inputs.initialValue } : {}),
  };
}

/** The provider's create: the adopted value when given, else a new one. */
export function createGeneratedSecret(inputs: Partial<GeneratedSecretInputs>): {
  id: string;
  outs: GeneratedSecretOutputs;
} {
  const ins = checked(inputs);
  const value = ins.initialValue ?? generateSecret(ins.length, ins.alphabet, ins.minPerClass);
  // A random ID that says nothing about the value.
  return { id: generateSecret(16, LOWER + DIGITS), outs: { ...ins, value } };
}

/** Inputs whose change makes a new value. initialValue is not one: it only matters at create. */
const REPLACING_INPUTS = ["length", "alphabet", "minPerClass", "keepers"] as const;

function sameKeepers(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * The provider's diff: keepers or shape changed → replace (a new value); anything else, including
 * a changed or dropped initialValue, is no change: the kept value stays.
 */
export function diffGeneratedSecret(
  olds: Partial<GeneratedSecretOutputs>,
  news: Partial<GeneratedSecretInputs>,
): pulumi.dynamic.DiffResult {
  const defaults: Partial<GeneratedSecretInputs> = { alphabet: ALPHANUMERIC, minPerClass: 0, keepers: {} };
  const replaces = REPLACING_INPUTS.filter((k) =>
    k === "keepers" ? !sameKeepers(olds.keepers, news.keepers) : (olds[k] ?? defaults[k]) !== (news[k] ?? defaults[k]),
  );
  return { changes: replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

const MODULE = `${COMPONENTS_MODULE_ROOT}/secrets/generated-secret`;

export const generatedSecretProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: GeneratedSecretInputs) {
    return requireInProviderProcess<typeof import("./generated-secret")>(MODULE).createGeneratedSecret(inputs);
  },
  async diff(_id: string, olds: GeneratedSecretOutputs, news: GeneratedSecretInputs) {
    return requireInProviderProcess<typeof import("./generated-secret")>(MODULE).diffGeneratedSecret(olds, news);
  },
  // No update (the diff never asks for one) and no delete: nothing exists outside the state.
};

export interface GeneratedSecretArgs {
  length: pulumi.Input<number>;
  /** Default letters and digits. */
  alphabet?: pulumi.Input<string>;
  /** Default 0. */
  minPerClass?: pulumi.Input<number>;
  /** A change makes a new secret; default none (the secret is kept for good). */
  keepers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** An existing value to adopt at create (it is made a secret); later changes are ignored. */
  initialValue?: pulumi.Input<string>;
}

/** A secret made once and kept (secret) in state; `value` is a Pulumi secret. */
// `declare`, not `!`: a plain ES2022 field would reset the outputs super() set to undefined.
export class GeneratedSecret extends pulumi.dynamic.Resource {
  declare public readonly value: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      generatedSecretProvider,
      name,
      {
        length: args.length,
        alphabet: args.alphabet ?? ALPHANUMERIC,
        minPerClass: args.minPerClass ?? 0,
        keepers: args.keepers ?? {},
        initialValue: args.initialValue === undefined ? undefined : pulumi.secret(args.initialValue),
        value: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...GENERATED_SECRET_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "generated-secret",
      "GeneratedSecret",
    );
  }
}
