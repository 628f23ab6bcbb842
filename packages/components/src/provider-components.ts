// The components this package exposes to other languages (Python, Go, .NET, YAML) through
// `pulumi package add`. Add a component here when it lands; the schema test
// (test/provider/schema.test.ts) then requires Pulumi's analyzer to infer it.
import { PrivateNetwork } from "./network/private-network";
import { SecurityProfile } from "./network/security-profile";
import { TwoTierCalculatorTopology } from "./calculator/two-tier-calculator-topology";
import { ThinClientDesktopPool } from "./desktop/thin-client-desktop-pool";
import { DevstackHost } from "./devstack/devstack-host";
import { GanetiDrbdCluster } from "./ganeti/ganeti-drbd-cluster";
import { S2DMigration } from "./s2d/s2d-migration";
import { XrdpDesktopImage } from "./desktop-image/xrdp-desktop-image";
import { SelfServicePortal } from "./portal/self-service-portal";

export const PROVIDER_NAME = "openstack-blueprints";

export const exposedComponents = [
  PrivateNetwork,
  SecurityProfile,
  TwoTierCalculatorTopology,
  ThinClientDesktopPool,
  DevstackHost,
  GanetiDrbdCluster,
  S2DMigration,
  XrdpDesktopImage,
  SelfServicePortal,
];
