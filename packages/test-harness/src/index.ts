// The mock harness in one import: Pulumi mocks backed by a model of OpenStack, artifact checks
// (cloud-init schema, bash -n/shellcheck) and the policy-engine adapter. The stack and example
// runners load the root program's composition (packages/environments), so they are imported
// from their own paths (`@openstack-blueprints/test-harness/src/stack-runner`,
// `.../src/example-runner`) and component tests do not pay for it.
export * from "./pulumi-mocks";
export * from "./artifacts";
export * from "./policy-resources";
