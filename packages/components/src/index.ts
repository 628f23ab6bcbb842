// Public surface of @openstack-blueprints/components (Pulumi package "openstack-blueprints").
export * from "./network/cidr";
export * from "./cloudinit/cloud-config";
export * from "./scripts/remote-script";
export * from "./scripts/secret-stdin";
