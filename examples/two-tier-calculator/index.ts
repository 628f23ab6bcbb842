// `pulumi up` in this directory builds the two-tier calculator. Settings (namespace
// openstack-blueprints): imageName, flavorName, externalNetworkName, clientCidr (required),
// optional keyPairName, sshClientCidr, CIDRs, fixed IPs, ports, serviceInternetEgress, nodejsSource,
// availabilityZone, networkAvailabilityZoneHints, frontendReadinessTimeoutSeconds.
//   pulumi config set openstack-blueprints:imageName ubuntu-24.04
//   pulumi config set openstack-blueprints:clientCidr 203.0.113.0/24
//   curl -s -X POST "$(pulumi stack output publicUrl)/calculate" -d '{"expression":"(4+5)*3-10/2"}'
import { loadStackConfig } from "../../packages/components/src/config/stack-config";
import { TwoTierCalculatorTopology } from "../../packages/components/src/calculator/two-tier-calculator-topology";
import { calculatorStackSchema } from "./config";

const { values } = loadStackConfig(calculatorStackSchema);
const calculator = new TwoTierCalculatorTopology("calculator", values);

export const publicUrl = calculator.publicUrl;
// `up` succeeded only once the front end computed through every service (unless the check is off).
export const frontendReady = calculator.frontendReady;
export const frontendReadiness = calculator.frontendReadiness;
export const serviceIps = calculator.serviceIps;
export const outerRouterId = calculator.outerRouterId;
export const innerRouterId = calculator.innerRouterId;
export const frontendNetworkId = calculator.frontendNetworkId;
export const serviceNetworkId = calculator.serviceNetworkId;
