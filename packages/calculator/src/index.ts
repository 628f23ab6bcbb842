// Public surface of @openstack-blueprints/calculator (runtime code uses node:http only).
export * from "./errors";
export * from "./numbers";
export * from "./operations";
export * from "./expression";
export * from "./http-json";
export * from "./operation-service";
export * from "./service-client";
export * from "./frontend";
export * from "./config";
export * from "./bundles";
