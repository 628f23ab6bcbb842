// The policy pack applied to what every stack and every example registers, as
// `pulumi preview --policy-pack packages/policy` would in a pull request (here under the mock
// harness: no CLI, no policy engine process — the policies' own functions are called).
import { expect } from "chai";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { listStacks } from "@openstack-blueprints/environments";
import { policies } from "../../packages/policy/src/policies";
import {
  installMocks,
  type RecordedResource,
  validateResources,
  validateStackOf,
  type Violation,
} from "@openstack-blueprints/test-harness";
import { STACKS_DIR, runStackOnce } from "@openstack-blueprints/test-harness/src/stack-runner";
import { listTsExamples, runExample } from "@openstack-blueprints/test-harness/src/example-runner";

const harness = installMocks();

async function violationsOf(resources: RecordedResource[]): Promise<string[]> {
  const out: Violation[] = [];
  for (const policy of policies) {
    if ("validateStack" in policy)
      out.push(
        ...(await validateStackOf(policy as StackValidationPolicy, resources)).map((v) => ({
          ...v,
          message: `${policy.name}: ${v.message}`,
        })),
      );
    else
      out.push(
        ...(await validateResources(policy as ResourceValidationPolicy, resources)).map((v) => ({
          ...v,
          message: `${policy.name}: ${v.message}`,
        })),
      );
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
