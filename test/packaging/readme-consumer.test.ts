// The README's "Use it in your own program" section is what the consumer tests run: its program
// is examples/typescript-consumer/index.ts (which the packaging test type-checks and unit-tests
// from the installed tarballs, and the real-engine consumer test deploys), its `npm pack` packs
// the packages those tests pack, and its `npm install` names the template's dependencies.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONSUMER_TEMPLATE, PACKAGES, REPO_ROOT } from "./consumer-project";

/** The fenced blocks of one `## ` section of a Markdown file, by language. */
export function sectionBlocks(markdown: string, heading: string): { lang: string; body: string }[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section "## ${heading}"`);
  const rest = markdown.slice(start + 1);
  const next = rest.indexOf("\n## ", 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

describe("README: Use it in your own program", () => {
  const blocks = sectionBlocks(
    fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"),
    "Use it in your own program",
  );

  it("shows examples/typescript-consumer/index.ts exactly", () => {
    const programs = blocks.filter((b) => b.lang === "ts");
    expect(programs, "one ts block").to.have.length(1);
    expect(programs[0].body).to.equal(fs.readFileSync(path.join(CONSUMER_TEMPLATE, "index.ts"), "utf8"));
  });

  it("packs the packages the consumer tests pack, and installs the template's dependencies", () => {
    const shell = blocks
      .filter((b) => b.lang === "sh")
      .map((b) => b.body.replace(/\\\n/g, " "))
      .join("\n");
    const pack = shell.split("\n").find((l) => l.startsWith("npm pack"));
    expect([...(pack ?? "").matchAll(/-w packages\/([\w-]+)/g)].map((m) => m[1])).to.deep.equal(PACKAGES);
    const install = shell.split("\n").find((l) => l.startsWith("npm install"));
    const template = JSON.parse(fs.readFileSync(path.join(CONSUMER_TEMPLATE, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const fromRegistry = Object.keys(template.dependencies).filter((d) => !d.startsWith("@openstack-blueprints/"));
    expect(
      (install ?? "")
        .split(/\s+/)
        .slice(2)
        .filter((w) => !w.endsWith(".tgz"))
        .sort(),
    ).to.deep.equal(fromRegistry.sort());
  });
});
