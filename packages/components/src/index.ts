// Public surface of @openstack-blueprints/components (Pulumi package "openstack-blueprints"):
// the components, their Args and output types, the argument error, the zod schemas of the
// Args and the few helpers a program needs around them. Listed by name so nothing leaks in by
// accident; renderers, planners and other internals are under
// "@openstack-blueprints/components/internal", the capacity planner under ".../capacity" and
// the test kit under ".../testing". README.md ("What the package exports") lists these names.

// Argument errors: every component reports all bad fields at once.
export { ComponentArgsError } from "./errors";
export type { ArgsProblem } from "./errors";

// A tenant network and a security group.
export { PrivateNetwork } from "./network/private-network";
export { privateNetworkArgsSchema } from "./network/private-network-args";
export type { AllocationPoolArgs, HostRouteArgs, PrivateNetworkArgs } from "./network/private-network";
export { SecurityProfile } from "./network/security-profile";
export { securityProfileArgsSchema, securityRuleArgsSchema } from "./network/security-profile-args";
export type { SecurityProfileArgs, SecurityRuleArgs } from "./network/security-profile-args";

// A lab's two-tier calculator.
export { TwoTierCalculatorTopology } from "./calculator/two-tier-calculator-topology";
export { twoTierCalculatorArgsSchema } from "./calculator/two-tier-calculator-args";
export type {
  CalculatorServiceIpsArgs,
  CalculatorServicePortsArgs,
  TwoTierCalculatorTopologyArgs,
} from "./calculator/two-tier-calculator-args";

// A small firm's office: desktops for thin clients, and the desktop image they boot from.
export { ThinClientDesktopPool } from "./desktop/thin-client-desktop-pool";
export type { DesktopInfo } from "./desktop/thin-client-desktop-pool";
export { thinClientDesktopPoolArgsSchema } from "./desktop/thin-client-desktop-pool-args";
export type {
  DesktopComputeHostArgs,
  DesktopEmployeeArgs,
  DesktopFlavorSizeArgs,
  DesktopHomeVolumesArgs,
  DesktopPciDevicesArgs,
  DesktopWorkspace,
  ThinClientDesktopPoolArgs,
} from "./desktop/thin-client-desktop-pool-args";
export type { ProjectLimits } from "./desktop/quota";
export { JUPYTER_PORT } from "./desktop/jupyter-user-data";
export { desktopReachabilityProblems } from "./desktop/reachability";
export type { FloatingNetworkFacts, ReachabilityInput, ReachabilitySource } from "./desktop/reachability";
export { XrdpDesktopImage } from "./desktop-image/xrdp-desktop-image";
export { xrdpDesktopImageArgsSchema } from "./desktop-image/xrdp-desktop-image-args";
export type { XrdpDesktopImageArgs } from "./desktop-image/xrdp-desktop-image-args";

// The self-service portal next to a desktop pool.
export { SelfServicePortal, portalDesktopsFromPool } from "./portal/self-service-portal";
export { selfServicePortalArgsSchema } from "./portal/self-service-portal-args";
export type {
  SelfServicePortalArgs,
  SelfServicePortalDesktopArgs,
  SelfServicePortalTlsArgs,
} from "./portal/self-service-portal-args";

// A DevStack host: an OpenStack to try the other components on.
export { DevstackHost, devstackProvider } from "./devstack/devstack-host";
export { DEFAULT_FLOATING_RANGE, devstackHostArgsSchema } from "./devstack/devstack-args";
export type {
  DevstackConnectionArgs,
  DevstackFlavorArgs,
  DevstackHostArgs,
  DevstackImageArgs,
  DevstackQuotas,
} from "./devstack/devstack-args";

// A Ganeti cluster with DRBD.
export { GanetiDrbdCluster } from "./ganeti/ganeti-drbd-cluster";
export type { GanetiInstanceStatus, GanetiNodeStatus } from "./ganeti/ganeti-drbd-cluster";
export { GanetiArgsError, ganetiDrbdClusterArgsSchema } from "./ganeti/ganeti-plan";
export type {
  GanetiDrbdClusterArgs,
  GanetiInstanceArgs,
  GanetiIsoImageArgs,
  GanetiNetworkArgs,
  GanetiNodeArgs,
  GanetiNodeGroupArgs,
  GanetiSshConnectionArgs,
  GanetiVersion,
} from "./ganeti/ganeti-args";

// Moving a server next to its data (S2D).
export { S2DMigration } from "./s2d/s2d-migration";
export type { MigrationChecksums } from "./s2d/s2d-migration";
export { s2dMigrationArgsSchema } from "./s2d/s2d-migration-args";
export type { S2DCloudArgs, S2DMigrationArgs, S2DNetworkMapping } from "./s2d/s2d-migration-args";

// Stack configuration: reading Pulumi.<stack>.yaml under the package's namespace with zod, and
// the zod field types the Args schemas are made of.
export { CONFIG_NAMESPACE, StackConfigError, loadStackConfig } from "./config/stack-config";
export type { LoadStackConfigOptions, LoadedStackConfig } from "./config/stack-config";
export { ipv4Address, ipv4Cidr } from "./config/zod-types";
