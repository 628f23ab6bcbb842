// A small firm's office pool and a lab's two-tier calculator, each written with several
// mistakes at once, as a newcomer's first stack might be. Which one runs comes from config
// (`engine-test-bad-input:component`): a program stops at the first component that throws, and
// each must show all of its own problems. Nothing here may reach a cloud: the components check
// their input before they register anything.
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool, TwoTierCalculatorTopology } from "@openstack-blueprints/components";

const component = new pulumi.Config().require("component");

if (component === "pool") {
  new ThinClientDesktopPool("office", {
    employees: [{ name: "alice" }, { name: "Bob Smith" }, { name: "alice" }],
    flavor: "m1.small",
    imageName: "debian-12",
    networkCidr: "10.20.0.0/33",
    dnsNameservers: ["9.9.9.9"],
    thinClientCidr: "0.0.0.0/0",
    workspace: "vnc",
  });
} else if (component === "calculator") {
  new TwoTierCalculatorTopology("lab", {
    imageName: "debian-12",
    flavorName: "m1.small",
    externalNetworkName: "public",
    clientCidr: "203.0.113.7/24",
    frontendCidr: "192.168.1.0/24",
    serviceCidr: "192.168.1.128/25",
    nodejsSource: "tarball",
    // The seed's layout on DevStack's default ML2/OVN: RT1 would not SNAT Net2.
    networkBackend: "ovn",
    serviceEgressRouter: "outer",
  });
} else {
  throw new Error(`no bad-input component '${component}'; have: pool, calculator`);
}
