// PrivateNetwork alone: a tenant network whose instances reach the internet through a router
// on the external network "public", plus an isolated back-end network without gateway.
//   cd examples/private-network && pulumi stack init dev && pulumi up
import { PrivateNetwork } from "@openstack-blueprints/components";

const office = new PrivateNetwork("office", {
  cidr: "192.168.10.0/24",
  externalNetworkName: "public",
  dnsNameservers: ["9.9.9.9", "149.112.112.112"],
  // Keep .2–.49 for fixed addresses (printers, servers); DHCP hands out the rest.
  allocationPools: [{ start: "192.168.10.50", end: "192.168.10.250" }],
  internetAccess: true,
});

const backend = new PrivateNetwork("backend", {
  cidr: "10.10.0.0/24",
  noGateway: true,
});

export const officeNetworkId = office.networkId;
export const officeSubnetId = office.subnetId;
export const officeRouterGatewayIp = office.externalGatewayIp;
export const backendNetworkId = backend.networkId;
