// One Neutron network: the cheapest cloud resource that proves a kept state is destroyed, not
// forgotten, when its run folder is reused.
import * as openstack from "@pulumi/openstack";

const network = new openstack.networking.Network("kept", {});
export const networkId = network.id;
