/**
 * docs/stack-settings.md, the reference of every `openstack-blueprints:*` stack setting, made
 * from the zod schemas the root program checks a stack file with (packages/environments: the
 * environment kinds and each block's schema, itself made from the component's Args schema), so
 * it cannot drift from them. test/stacks/stack-settings-reference.test.ts fails when the
 * committed file differs from what this makes.
 *   npx ts-node --transpile-only scripts/stack-settings-reference.ts --write
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { CONFIG_NAMESPACE } from "@openstack-blueprints/components";
import { pulumiInputPlain } from "@openstack-blueprints/components/internal";
import { BLOCKS, ENVIRONMENTS } from "@openstack-blueprints/environments";

export const REFERENCE_FILE = path.resolve(__dirname, "../docs/stack-settings.md");

/** The part of JSON Schema that z.toJSONSchema writes for these schemas. */
interface Json {
  type?: string;
  properties?: Record<string, Json>;
  required?: string[];
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  items?: Json;
  anyOf?: Json[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

/** A block's schema as JSON Schema, with the plain type a stack file holds for Pulumi inputs. */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const options = {
    io: "input" as const,
    unrepresentable: "any" as const,
    reused: "inline" as const,
    override: (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
      const plain = pulumiInputPlain.get(ctx.zodSchema as z.ZodType);
      if (plain) {
        const { $schema: _, ...json } = z.toJSONSchema(plain, options) as Record<string, unknown>;
        Object.assign(ctx.jsonSchema, json);
      }
    },
  };
  return z.toJSONSchema(schema, options) as Json;
}

const FORMATS: Record<string, string> = { "ipv4-cidr": "IPv4 CIDR", ipv4: "IPv4 address" };

function isMap(node: Json): node is Json & { additionalProperties: Json } {
  return node.type === "object" && !node.properties && typeof node.additionalProperties === "object";
}

function typeOf(node: Json): string {
  if (node.anyOf) return [...new Set(node.anyOf.map(typeOf))].join(" or ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.format && FORMATS[node.format]) return FORMATS[node.format];
  if (node.type === "array") return `list of ${node.items ? typeOf(node.items) : "values"}`;
  if (isMap(node)) return `map of name → ${typeOf(node.additionalProperties)}`;
  if (node.type === "object") return "object";
  // A custom check z.toJSONSchema cannot describe (an SSH connection field, a cloud's credentials).
  return node.type ?? "value the component checks";
}

function limitsOf(node: Json): string[] {
  const limits: string[] = [];
  const big = (n: number) => Math.abs(n) >= Number.MAX_SAFE_INTEGER;
  if (node.enum) limits.push(`one of ${node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(", ")}`);
  if (node.minimum !== undefined && !big(node.minimum)) limits.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) limits.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && !big(node.maximum)) limits.push(`≤ ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) limits.push(`< ${node.exclusiveMaximum}`);
  if (node.minLength !== undefined && node.minLength > 1) limits.push(`at least ${node.minLength} characters`);
  if (node.minLength === 1) limits.push("not empty");
  if (node.maxLength !== undefined) limits.push(`at most ${node.maxLength} characters`);
  if (node.minItems !== undefined) limits.push(`at least ${node.minItems} item${node.minItems === 1 ? "" : "s"}`);
  if (node.maxItems !== undefined) limits.push(`at most ${node.maxItems} items`);
  if (node.pattern) limits.push(`matches ${code(node.pattern)}`);
  if (node.default !== undefined) limits.push(`default \`${JSON.stringify(node.default)}\``);
  if (node.type === "array" && node.items && !node.items.properties) limits.push(...limitsOf(node.items));
  if (isMap(node) && node.propertyNames) limits.push(...limitsOf(node.propertyNames).map((l) => `name ${l}`));
  return limits;
}

interface Row {
  setting: string;
  type: string;
  required: boolean;
  limits: string[];
}

/** The rows of an object's fields, then of the objects inside them, depth first. */
function rows(node: Json, prefix: string, out: Row[] = []): Row[] {
  if (node.anyOf) {
    for (const variant of node.anyOf) rows(variant, prefix, out);
    return out;
  }
  if (node.type === "array" && node.items) return rows(node.items, `${prefix}[]`, out);
  if (isMap(node)) return rows(node.additionalProperties, prefix ? `${prefix}.<name>` : "<name>", out);
  for (const [name, field] of Object.entries(node.properties ?? {})) {
    const setting = prefix ? `${prefix}.${name}` : name;
    out.push({ setting, type: typeOf(field), required: (node.required ?? []).includes(name), limits: limitsOf(field) });
    rows(field, setting, out);
  }
  return out;
}

const cell = (text: string) => text.replace(/\|/g, "\\|");
/** A Markdown code span, also for text with backticks in it (a pattern). */
const code = (text: string) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

/** The whole reference, as Markdown. */
export function stackSettingsReference(): string {
  const ns = CONFIG_NAMESPACE;
  const lines: string[] = [
    "# Stack settings reference",
    "",
    "<!-- Generated by scripts/stack-settings-reference.ts from the zod schemas; do not edit. -->",
    "",
    `Every \`${ns}:*\` setting a stack file (\`stacks/Pulumi.<stack>.yaml\`) takes, made from the`,
    "schemas the root program checks it with before it declares anything. Check a stack file",
    "offline, from any folder, with `blueprints check Pulumi.<stack>.yaml`. Values in the tables",
    "are the plain values a stack file holds; `secure:` values (`pulumi config set --secret`) stand",
    "for any string. `[]` is an item of a list, `<name>` a name you choose.",
    "",
    `## \`${ns}:environment\``,
    "",
    "Required. The kind of environment the stack is; it decides which of the settings below the",
    "stack must have and may have.",
    "",
    "| kind | what it is | requires | may have |",
    "|---|---|---|---|",
    ...Object.entries(ENVIRONMENTS).map(
      ([kind, k]) =>
        `| \`${kind}\` | ${cell(k.description)} | ${k.required.map((b) => `\`${b}\``).join(", ")} | ${
          k.optional.map((b) => `\`${b}\``).join(", ") || "—"
        } |`,
    ),
    "",
  ];
  for (const block of BLOCKS) {
    const json = jsonSchemaOf(block.schema);
    lines.push(`## \`${ns}:${block.key}\``, "");
    lines.push(`${block.description} Builds: ${block.component}.`, "");
    const facts = [
      `Value: ${typeOf(json)}${limitsOf(json).length ? ` (${limitsOf(json).join("; ")})` : ""}.`,
      block.needs.length ? `Needs another setting of the stack to provide: ${block.needs.join(", ")}.` : "",
      block.uses.length ? `Uses, when the stack has them: ${block.uses.join(", ")}.` : "",
      block.provides.length ? `Provides: ${block.provides.join(", ")}.` : "",
      block.holdsSecrets ? "Holds secrets: set those fields with `pulumi config set --secret --path`." : "",
    ].filter(Boolean);
    lines.push(...facts.map((f) => `- ${f}`), "");
    lines.push("| setting | type | required | allowed values |", "|---|---|---|---|");
    for (const row of rows(json, "")) {
      lines.push(
        `| ${code(cell(row.setting))} | ${cell(row.type)} | ${row.required ? "yes" : "no"} | ${cell(row.limits.join("; ")) || "—"} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

if (require.main === module) {
  const text = stackSettingsReference();
  if (process.argv.includes("--write")) {
    fs.writeFileSync(REFERENCE_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), REFERENCE_FILE)}`);
  } else process.stdout.write(text);
}
