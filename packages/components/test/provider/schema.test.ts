// Runs Pulumi's own schema analyzer (@pulumi/pulumi/provider/experimental, the code
// `pulumi package add` runs through the plugin) on this package and checks what other
// languages would get. What cannot run here: the Pulumi CLI itself (`pulumi package add`,
// SDK generation for Python/YAML) — it cannot be installed on the development machines.
import { expect } from "chai";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { PROVIDER_NAME, exposedComponents } from "../../src/provider-components";
import { EXPECTED_COMPONENTS } from "./expected-components";

const packageDir = path.resolve(__dirname, "../..");
const token = (name: string) => `${PROVIDER_NAME}:index:${name}`;

async function inferSchema(
  dir: string,
  name: string,
  components: ComponentProvider["options"]["components"],
): Promise<any> {
  const provider = new ComponentProvider({ name, components, dirname: dir });
  return JSON.parse(await provider.getSchema());
}

describe("multi-language provider schema (Pulumi's analyzer)", function () {
  this.timeout(120_000);
  let schema: any;

  before(async () => {
    schema = await inferSchema(packageDir, PROVIDER_NAME, exposedComponents);
  });

  it("exposes exactly the expected components, and every component the package exports", () => {
    const exposed = exposedComponents.map((c) => c.name).sort();
    expect(exposed, "src/provider-components.ts vs test/provider/expected-components.ts").to.deep.equal(
      EXPECTED_COMPONENTS.map((c) => c.name).sort(),
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's runtime exports, as the provider host loads them
    const exported = getPulumiComponents(require("../../src/index"))
      .map((c) => c.name)
      .sort();
    for (const name of exported) {
      expect(
        exposed,
        `${name} is exported by src/index.ts but not listed in src/provider-components.ts (and test/provider/expected-components.ts)`,
      ).to.include(name);
    }
    expect(Object.keys(schema.resources).sort()).to.deep.equal(exposed.map(token));
  });

  for (const expected of EXPECTED_COMPONENTS) {
    it(`infers ${expected.name} with its args and outputs`, () => {
      const resource = schema.resources[token(expected.name)];
      expect(resource, `${token(expected.name)} missing from the inferred schema`).to.not.equal(undefined);
      expect(resource.isComponent).to.equal(true);
      expect(Object.keys(resource.inputProperties).sort()).to.deep.equal(
        [...expected.requiredInputs, ...expected.optionalInputs].sort(),
      );
      expect([...(resource.requiredInputs ?? [])].sort()).to.deep.equal([...expected.requiredInputs].sort());
      expect(Object.keys(resource.properties).sort()).to.deep.equal([...expected.outputs].sort());
      // Every $ref (nested Args types such as SecurityRuleArgs) resolves to a type in the schema.
      const refs = JSON.stringify(resource).match(/"#\/types\/[^"]+"/g) ?? [];
      for (const ref of refs) {
        const typeToken = ref.slice('"#/types/'.length, -1);
        expect(schema.types, `${expected.name} refers to ${typeToken}`).to.have.property(typeToken);
      }
    });
  }

  it("carries the doc comments and nested types other languages need", () => {
    expect(schema.name).to.equal(PROVIDER_NAME);
    const rule = schema.types[token("SecurityRuleArgs")];
    expect(rule.properties).to.include.keys("protocol", "port", "remoteCidr", "allowFromAnywhere");
    expect(rule.required).to.deep.equal(["protocol"]);
    expect(schema.resources[token("PrivateNetwork")].description).to.contain("A tenant network ready for instances");
  });

  it("fails loudly when a component breaks the inference rules (union type in Args)", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded inside the test, whose point is that inference fails on it
    const { Broken } = require("./fixtures/union-args/src/index");
    let error: Error | undefined;
    try {
      await inferSchema(path.join(__dirname, "fixtures/union-args"), "union-args", [Broken]);
    } catch (e) {
      error = e as Error;
    }
    expect(error, "the analyzer accepted a union-typed Args").to.not.equal(undefined);
    expect(error!.message).to.match(/union/i);
  });

  it("refuses string literal unions too (so enum-like Args fields stay `string`, checked by zod)", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture is loaded only here, after the analyzer ran
    const { Literal } = require("./fixtures/literal-union-args/src/index");
    let error: Error | undefined;
    try {
      await inferSchema(path.join(__dirname, "fixtures/literal-union-args"), "literal-union-args", [Literal]);
    } catch (e) {
      error = e as Error;
    }
    expect(error, "the analyzer accepted a string-literal union in Args").to.not.equal(undefined);
    expect(error!.message).to.contain("Union types are not supported").and.contain("LiteralArgs.workspace");
  });
});
