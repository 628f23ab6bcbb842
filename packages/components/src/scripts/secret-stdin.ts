import * as pulumi from "@pulumi/pulumi";

/**
 * Joins secret values into the standard input a script rendered with `stdinSecrets` expects:
 * one value per line, in the same order. The result is a Pulumi secret, so it is encrypted in
 * state and masked in logs. Values must not contain newlines (they would shift the next one).
 */
export function secretStdin(...values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all(values).apply((resolved) => {
      resolved.forEach((value, index) => {
        if (/[\r\n]/.test(value))
          throw new Error(`secret #${index + 1} for a script's standard input contains a newline`);
      });
      return resolved.map((value) => `${value}\n`).join("");
    }),
  );
}
