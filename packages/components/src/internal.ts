// @openstack-blueprints/components/internal: everything the package's modules export, for the
// repository's own packages, tests and tools. Renderers (cloud-config, scripts, local.conf,
// RDP files), planners, CIDR arithmetic and the dynamic providers live here; they change with
// the components and carry no compatibility promise. Programs use the main entry (index.ts).
export * from "./errors";
export * from "./network/cidr";
export * from "./network/private-network-args";
export * from "./network/private-network-plan";
export * from "./network/private-network";
export * from "./network/security-rules";
export * from "./network/security-profile-args";
export * from "./network/security-profile";
export * from "./cloudinit/cloud-config";
export * from "./scripts/remote-script";
export * from "./scripts/secret-stdin";
export * from "./config/stack-config";
export * from "./config/zod-types";
export * from "./calculator/two-tier-calculator-args";
export * from "./calculator/two-tier-calculator-plan";
export * from "./calculator/calculator-user-data";
export * from "./calculator/two-tier-calculator-topology";
export * from "./desktop";
export * from "./devstack/devstack-args";
export * from "./devstack/local-conf";
export * from "./devstack/devstack-scripts";
export * from "./devstack/clouds-yaml";
export * from "./devstack/devstack-plan";
export * from "./devstack/devstack-host";
export * from "./ganeti/ganeti-args";
export * from "./ganeti/ganeti-plan";
export * from "./ganeti/ganeti-drbd-cluster";
export * from "./s2d/s2d-migration-args";
export * from "./s2d/s2d-migration";
export * from "./desktop-image";
export * from "./portal/self-service-portal-args";
export * from "./portal/self-service-portal-plan";
export * from "./portal/self-service-portal";
