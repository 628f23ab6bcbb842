// zod schemas for the values stack configs and specs carry, with messages that read well
// after "<key>: <value> " (see formatConfigIssues).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isIpv4, parseCidr } from "../network/cidr";

const reason = (e: unknown) => (e as Error).message.replace(/^"[^"]*" /, "");

/** A canonical IPv4 CIDR such as "192.168.1.0/24". */
export const ipv4Cidr = z
  .string()
  .meta({ format: "ipv4-cidr" })
  .superRefine((value, ctx) => {
    try {
      parseCidr(value);
    } catch (e) {
      const text = reason(e);
      ctx.addIssue({
        code: "custom",
        message: text.startsWith("has host bits") ? text : "is not an IPv4 CIDR (e.g. 192.168.1.0/24)",
      });
    }
  });

/** A dotted-quad IPv4 address. */
export const ipv4Address = z
  .string()
  .meta({ format: "ipv4" })
  .refine(isIpv4, { message: "is not an IPv4 address (e.g. 192.168.1.10)" });

/** A TCP/UDP port. */
export const portNumber = z
  .number({ message: "is not a number" })
  .int({ message: "is not a whole number" })
  .min(1, { message: "is not a port number 1-65535" })
  .max(65535, { message: "is not a port number 1-65535" });

/** A Linux user name as `adduser` accepts by default (NAME_REGEX), at most 32 characters. */
export const linuxUserName = z.string().regex(/^[a-z][-a-z0-9_]{0,31}$/, {
  message:
    "is not a valid Linux user name (lowercase letter first, then lowercase letters, digits, - or _; at most 32)",
});

/** One of a fixed set of strings (Args use strings, not unions, for schema inference). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  // The allowed values as JSON Schema's `enum` (z.toJSONSchema keeps metadata; a refinement alone
  // would show as a plain string in the stack settings reference).
  return z
    .string()
    .meta({ enum: [...values] })
    .refine((v): v is T[number] => (values as readonly string[]).includes(v), {
      message: `is not one of ${values.map((v) => JSON.stringify(v)).join(", ")}`,
    });
}

/**
 * The plain schema behind each pulumiInput schema: a stack file holds plain values, so the stack
 * settings reference (z.toJSONSchema, which cannot see into a custom schema) shows this one.
 */
export const pulumiInputPlain = new WeakMap<z.ZodType, z.ZodType>();

/**
 * A `pulumi.Input<T>`: an Output or a Promise passes as it is (its value is known only once it
 * resolves, so only the plain values are checked here); a plain value must satisfy `plain`.
 */
export function pulumiInput<T extends z.ZodType>(plain: T) {
  const input = z
    .custom<pulumi.Input<z.output<T>>>(() => true)
    .superRefine((value, ctx) => {
      if (pulumi.Output.isInstance(value) || value instanceof Promise) return;
      const parsed = plain.safeParse(value);
      // Passed on as they are (code included: a missing value stays "invalid_type", which the
      // stack-config loader turns into "is required; set it with `pulumi config set …`").
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue) });
    });
  pulumiInputPlain.set(input, plain);
  return input;
}

/**
 * Compile-time check that a zod schema describes exactly an Args interface: `z.input` and the
 * interface must be assignable both ways and have the same keys (assignability alone lets an
 * optional field on one side only through), so a field added to one and not the other fails
 * `tsc`. Use as `const _same: SameShape<z.input<typeof schema>, Args> = true;`.
 */
export type SameShape<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
