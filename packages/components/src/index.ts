// Public surface of @openstack-blueprints/components (Pulumi package "openstack-blueprints").
export * from "./network/cidr";
export * from "./network/private-network-plan";
export * from "./network/private-network";
export * from "./network/security-rules";
export * from "./network/security-profile";
export * from "./cloudinit/cloud-config";
export * from "./scripts/remote-script";
export * from "./scripts/secret-stdin";
export * from "./config/stack-config";
export * from "./config/zod-types";
export * from "./desktop";
export * from "./s2d/s2d-migration";
export * from "./desktop-image";
