// The policy pack applied to what every stack and every example registers, as
// `pulumi preview --policy-pack packages/policy` would in a pull request (here under the mock
// harness: no CLI, no policy engine process — the policies' own functions are called).
import { expect } from "chai";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { listStacks } from "@openstack-blueprints/environments";
import { policies } from "../../packages/policy/src/policies";
import { installMocks, type RecordedResource } from "../harness/pulumi-mocks";
import { validateResources, validateStackOf, type Violation } from "../harness/policy-resources";
import { STACKS_DIR, runStackOnce } from "../harness/stack-runner";
import { listTsExamples, runExample } from "../harness/example-runner";

const harness = installMocks();

async function violationsOf(resources: RecordedResource[]): Promise<string[]> {
  const out: Violation[] = [];
  for (const policy of policies) {
    if ("validateStack" in policy) out.push(...(await validateStackOf(policy as StackValidationPolicy, resources)).map((v) => ({ ...v, message: `${policy.name}: ${v.message}` })));
    else out.push(...(await validateResources(policy as ResourceValidationPolicy, resources)).map((v) => ({ ...v, message: `${policy.name}: ${v.message}` })));
  }
  return out.map((v) => v.message);
}

describe("policy pack over every stack and example", function () {
  this.timeout(300_000);

  for (const stack of listStacks(STACKS_DIR)) {
    it(`stack ${stack} passes every policy`, async () => {
      const run = await runStackOnce(harness, stack);
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      expect(await violationsOf(run.resources)).to.deep.equal([]);
    });
  }

  for (const example of listTsExamples()) {
    it(`example ${example} passes every policy`, async () => {
      const run = await runExample(harness, example);
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      expect(await violationsOf(run.resources)).to.deep.equal([]);
    });
  }
});
