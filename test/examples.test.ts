// Every examples/<name>/index.ts runs under the mock harness (a Pulumi program with no cloud
// and no CLI), and the multi-language examples are checked against the inferred schema.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { PROVIDER_NAME, exposedComponents } from "../packages/components/src/provider-components";
import { installMocks } from "@openstack-blueprints/test-harness";
import {
  EXAMPLES_DIR as EXAMPLES,
  listTsExamples,
  runExample,
} from "@openstack-blueprints/test-harness/src/example-runner";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const harness = installMocks();

const tsExamples = listTsExamples();

describe("examples/", function () {
  this.timeout(120_000);

  it("has the TypeScript examples of the landed components", () => {
    expect(tsExamples).to.include.members([
      "private-network",
      "security-profile",
      "two-tier-calculator",
      "thin-client-desktop-pool",
      "jupyter-notebooks",
      "xrdp-desktop-image",
      "s2d-migration",
      "devstack-host",
      "ganeti-drbd-cluster",
    ]);
  });

  for (const example of tsExamples) {
    it(`${example}/index.ts runs under the harness without errors and exports outputs`, async () => {
      const run = await runExample(harness, example);
      expect(run.thrown?.message).to.equal(undefined);
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      expect(run.resources.filter((r) => r.custom).length, "creates resources").to.be.greaterThan(0);
      const outputs = Object.values(run.value ?? {}).filter(pulumi.Output.isInstance);
      expect(outputs.length, "exports stack outputs").to.be.greaterThan(0);
      const yaml = YAML.parse(fs.readFileSync(path.join(EXAMPLES, example, "Pulumi.yaml"), "utf8"));
      expect(yaml.runtime.name ?? yaml.runtime).to.equal("nodejs");
    });
  }

  it("yaml-consumer uses only types and properties of the inferred schema, with every required input", async () => {
    const schema = JSON.parse(
      await new ComponentProvider({
        name: PROVIDER_NAME,
        components: exposedComponents,
        dirname: path.resolve(__dirname, "../packages/components"),
      }).getSchema(),
    );
    const program = YAML.parse(fs.readFileSync(path.join(EXAMPLES, "yaml-consumer/Pulumi.yaml"), "utf8"));
    // The plugin folder (package.json name = the package name; PulumiPlugin.yaml), not the library.
    expect(program.packages[PROVIDER_NAME]).to.equal("../../packages/components/plugin");
    for (const [name, resource] of Object.entries<any>(program.resources)) {
      const spec = schema.resources[resource.type];
      expect(spec, `${name}: ${resource.type} is not in the schema`).to.not.equal(undefined);
      for (const key of Object.keys(resource.properties))
        expect(spec.inputProperties, `${name}.${key}`).to.have.property(key);
      for (const key of spec.requiredInputs ?? [])
        expect(resource.properties, `${name} lacks required ${key}`).to.have.property(key);
    }
    for (const [name, expr] of Object.entries<string>(program.outputs)) {
      const [, resourceName, property] = /^\$\{(\w[\w-]*)\.(\w+)\}$/.exec(expr) ?? [];
      expect(resourceName, `output ${name}`).to.not.equal(undefined);
      expect(schema.resources[program.resources[resourceName].type].properties, `output ${name}`).to.have.property(
        property,
      );
    }
  });

  it("python-consumer compiles (the generated SDK needs `pulumi package add`, not runnable here)", function () {
    try {
      execFileSync("python3", ["--version"]);
    } catch {
      unavailableHere(this, "python3 is not installed: the compile check cannot run");
    }
    execFileSync("python3", [
      "-c",
      "import ast,sys; ast.parse(open(sys.argv[1]).read())",
      path.join(EXAMPLES, "python-consumer/__main__.py"),
    ]);
  });
});
