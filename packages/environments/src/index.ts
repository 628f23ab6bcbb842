// @openstack-blueprints/environments: what the root program (index.ts at the repository root)
// runs, and what tools (diagrams) and tests run under the mock harness.
export * from "./block";
export * from "./registry";
export * from "./compose";
export * from "./stack-file";
export * from "./reachability";
export * from "./volumes";
export { DEFAULT_HOME_VOLUMES, homeVolumesOf } from "./blocks/desktops";
export { networksBlock, privateNetworkSpec } from "./blocks/networks";
export { securityProfilesBlock, securityProfileSpec } from "./blocks/security-profiles";
