// docs/stack-settings.md is made from the zod schemas the root program checks stack files with
// (scripts/stack-settings-reference.ts): this fails when the committed file is not what the
// schemas make now, so a setting added, removed or changed in a component's Args or a block
// cannot leave the reference behind.
import { expect } from "chai";
import * as fs from "node:fs";
import { BLOCKS, ENVIRONMENTS } from "@openstack-blueprints/environments";
import { REFERENCE_FILE, stackSettingsReference } from "../../scripts/stack-settings-reference";

describe("docs/stack-settings.md (the stack settings reference)", () => {
  const made = stackSettingsReference();

  it("is what scripts/stack-settings-reference.ts makes from the schemas now", () => {
    const committed = fs.readFileSync(REFERENCE_FILE, "utf8");
    expect(
      committed === made,
      "docs/stack-settings.md is out of date: run `npx ts-node --transpile-only scripts/stack-settings-reference.ts --write`",
    ).to.equal(true);
  });

  it("has a section for every top-level setting and a row for every environment kind", () => {
    const sections = [...made.matchAll(/^## `openstack-blueprints:(\w+)`$/gm)].map((m) => m[1]);
    expect(sections).to.deep.equal(["environment", ...BLOCKS.map((b) => b.key)]);
    for (const kind of Object.keys(ENVIRONMENTS)) expect(made).to.include(`| \`${kind}\` |`);
  });

  it("lists nested fields with their allowed values (the desktops' workspace, a network's MTU)", () => {
    expect(made).to.include('| `workspace` | string | no | one of `"desktop"`, `"jupyter"` |');
    expect(made).to.include("| `<name>.mtu` | integer | no | ≥ 68; ≤ 9000 |");
    expect(made).to.include("| `<name>.cidr` | IPv4 CIDR | yes | — |");
  });
});
