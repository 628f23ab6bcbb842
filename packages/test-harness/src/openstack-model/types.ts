import { TYPES } from "@openstack-blueprints/diagram";

/** Type tokens the model knows: the diagram's (one list of OpenStack tokens) plus the harness's own. */
export const T = {
  ...TYPES,
  keypair: "openstack:compute/keypair:Keypair",
  flavor: "openstack:compute/flavor:Flavor",
  volume: "openstack:blockstorage/volume:Volume",
  localCommand: "command:local:Command",
  randomPassword: "random:index/randomPassword:RandomPassword",
  randomString: "random:index/randomString:RandomString",
  randomId: "random:index/randomId:RandomId",
  desktopCredential: "pulumi-nodejs:dynamic/desktop-credential:DesktopCredential",
  s2dMigrationRun: "pulumi-nodejs:dynamic/s2d:S2DMigrationRun",
  calculatorReadiness: "pulumi-nodejs:dynamic/calculator:FrontendReadiness",
} as const;
