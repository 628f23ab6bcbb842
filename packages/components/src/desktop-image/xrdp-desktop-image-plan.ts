/**
 * Validates XrdpDesktopImage args and decides what the component then only declares: the bake
 * resource's name and plain inputs (defaults applied, packages sorted without duplicates, so
 * equal package sets give equal inputs) and the bake plan's options once the base image is
 * known. Pure (no Pulumi resources), and run before the first resource, so a bad image fails
 * with every problem at once, before any builder is booted.
 */
import { ArgsProblems } from "../errors";
import { DEFAULT_RDP_GROUP, DesktopStackOptions } from "../desktop/desktop-user-data";
import { BAKE_NAME_PREFIX, BakePlanOptions, planDesktopBake } from "./bake-plan";
import type { BakeInputs } from "./baked-image";
import { XrdpDesktopImageArgs, xrdpDesktopImageArgsSchema } from "./xrdp-desktop-image-args";

export const DEFAULT_CONSOLE_TIMEOUT_SECONDS = 3600;

export interface XrdpDesktopImagePlan {
  /** "XrdpDesktopImage <name>", for messages. */
  component: string;
  /** The dynamic bake resource's name, `<name>-bake` (a changed name would re-bake the image). */
  bakeResourceName: string;
  /** The bake resource's inputs that are plain values (the Inputs, IDs and credentials, are added by the component). */
  bakeInputs: Pick<
    BakeInputs,
    | "cloud"
    | "availabilityZone"
    | "osDistro"
    | "osVersion"
    | "namePrefix"
    | "extraPackages"
    | "installRecommends"
    | "rdpGroup"
    | "consoleTimeoutSeconds"
    | "retainOnDelete"
  >;
  /** The desktop stack the image gets (the options the bake plan hashes). */
  stack: DesktopStackOptions;
}

/** Field values shown in messages: a password never is. */
function redactCredentials(args: XrdpDesktopImageArgs): unknown {
  const c = args.credentials as Record<string, unknown> | undefined;
  if (!c || typeof c !== "object" || !("password" in c)) return args;
  return { ...args, credentials: { ...c, password: "(secret)" } };
}

/** Validates the args and decides the bake; throws one ComponentArgsError listing every problem. */
export function planXrdpDesktopImage(name: string, args: XrdpDesktopImageArgs): XrdpDesktopImagePlan {
  const component = `XrdpDesktopImage ${name}`;
  const problems = new ArgsProblems(component);
  const parsed = xrdpDesktopImageArgsSchema.safeParse(args ?? {});
  if (!parsed.success) problems.addZodIssues(parsed.error.issues, redactCredentials(args));

  // The image name starts with the component's name unless namePrefix is given: that name must
  // then be a valid prefix too.
  const namePrefix = args?.namePrefix ?? name;
  if (args?.namePrefix === undefined && !BAKE_NAME_PREFIX.test(name)) {
    problems.add(
      "namePrefix",
      undefined,
      `defaults to the component's name "${name}", which is not a valid image name prefix; give namePrefix (letters, digits, '.', '_' or '-')`,
    );
  }
  const stack: DesktopStackOptions = {
    extraPackages: args?.extraPackages,
    installRecommends: args?.installRecommends,
    rdpGroup: args?.rdpGroup,
  };
  problems.throwIfAny();

  // Every field passed: the bake plan (with a stand-in for the base image, known only once its
  // Input resolves) must accept them too. It checks the same rules; this keeps the two honest.
  try {
    planDesktopBake(
      bakePlanOptions({ stack, osDistro: args.osDistro, osVersion: args.osVersion, namePrefix }, "validation"),
    );
  } catch (e) {
    problems.add("(args)", undefined, `the bake plan refused them: ${(e as Error).message}`);
    problems.throwIfAny();
  }
  return {
    component,
    bakeResourceName: `${name}-bake`,
    bakeInputs: {
      cloud: args.cloud ?? "",
      availabilityZone: args.availabilityZone ?? "",
      osDistro: args.osDistro,
      osVersion: args.osVersion ?? "",
      namePrefix,
      extraPackages: [...new Set(args.extraPackages ?? [])].sort(),
      installRecommends: args.installRecommends ?? true,
      rdpGroup: args.rdpGroup ?? DEFAULT_RDP_GROUP,
      consoleTimeoutSeconds: args.consoleTimeoutSeconds ?? DEFAULT_CONSOLE_TIMEOUT_SECONDS,
      retainOnDelete: args.retainOnDelete ?? false,
    },
    stack,
  };
}

/** The bake plan's options for a base image (its ID once the Input resolves). */
export function bakePlanOptions(
  plan: { stack: DesktopStackOptions; osDistro: string; osVersion?: string; namePrefix: string },
  baseImage: string,
): BakePlanOptions {
  return {
    baseImage,
    osDistro: plan.osDistro,
    osVersion: plan.osVersion || undefined,
    namePrefix: plan.namePrefix,
    stack: plan.stack,
  };
}
