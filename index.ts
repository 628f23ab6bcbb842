// The root Pulumi program (Pulumi.yaml, stacks in stacks/): the stack's config names an
// environment kind and its blocks; packages/environments turns them into components.
//   pulumi up --stack lab
import { composeEnvironment } from "@openstack-blueprints/environments";

const environment = composeEnvironment();

export const kind = environment.environment;
export const outputs = environment.outputs;
