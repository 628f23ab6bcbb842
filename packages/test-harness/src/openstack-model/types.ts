import { TYPES } from "@openstack-blueprints/diagram";

/** Type tokens the model knows: the diagram's (one list of OpenStack tokens) plus the harness's own. */
export const T = {
  ...TYPES,
  keypair: "openstack:compute/keypair:Keypair",
  flavor: "openstack:compute/flavor:Flavor",
  volume: "openstack:blockstorage/volume:Volume",
  localCommand: "command:local:Command",
  desktopCredential: "pulumi-nodejs:dynamic/desktop-credential:DesktopCredential",
  generatedSecret: "pulumi-nodejs:dynamic/generated-secret:GeneratedSecret",
  xrdpCertificate: "pulumi-nodejs:dynamic/xrdp-certificate:XrdpCertificate",
  s2dMigrationRun: "pulumi-nodejs:dynamic/s2d:S2DMigrationRun",
  calculatorReadiness: "pulumi-nodejs:dynamic/calculator:FrontendReadiness",
} as const;
