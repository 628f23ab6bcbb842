// @openstack-blueprints/components/thin-client: what a program outside Pulumi needs about a pool's
// desktops, without loading Pulumi: the connection files the pool renders (.rdp, Remmina, Jupyter
// URL) and the password hashes it makes (SHA-512 crypt for desktops, Jupyter's sha512 for
// notebooks). The self-service portal verifies sign-ins and serves downloads with these, so its
// files are byte for byte the pool's.
export * from "./sha512-crypt";
export * from "./thin-client-artifacts";
// AutoStop's report tokens: the portal checks a guest's token against this hash.
export { sessionReportTokenHash, sessionReportUrl } from "./session-report";
