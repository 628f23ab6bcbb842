// Entry of the policy pack: `pulumi preview --policy-pack packages/policy`. Constructing the
// PolicyPack starts the policy server, so nothing else imports this file (tests use policies.ts).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("openstack-blueprints", {
  description: "Guard rails for OpenStack programs built with openstack-blueprints.",
  enforcementLevel: "mandatory",
  policies,
});
