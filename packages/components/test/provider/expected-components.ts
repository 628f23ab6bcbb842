// What other languages must see of each exposed component: the one place to extend when a
// component lands (add it to src/provider-components.ts and here). The schema test fails when
// a component listed here is not exposed, cannot be inferred, or loses an input or output.
export interface ExpectedComponent {
  /** Class name; the type token is openstack-blueprints:index:<name>. */
  name: string;
  requiredInputs: string[];
  optionalInputs: string[];
  outputs: string[];
}

export const EXPECTED_COMPONENTS: ExpectedComponent[] = [
  {
    name: "PrivateNetwork",
    requiredInputs: ["cidr"],
    optionalInputs: [
      "gatewayIp", "noGateway", "enableDhcp", "allocationPools", "dnsNameservers", "hostRoutes", "externalNetworkName",
      "externalNetworkId", "createRouter", "existingRouterId", "internetAccess", "mtu", "portSecurityEnabled", "tags", "networkName",
    ],
    outputs: ["networkId", "subnetId", "cidr", "gatewayIp", "routerId", "routerInterfaceId", "externalGatewayIp", "dnsNameservers"],
  },
  {
    name: "SecurityProfile",
    requiredInputs: ["rules"],
    optionalInputs: ["groupName", "description", "deleteDefaultRules", "tags"],
    outputs: ["securityGroupId", "securityGroupName", "ruleIds", "ruleKeys"],
  },
];
