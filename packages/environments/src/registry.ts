// Every block the root program knows, and every environment kind. A new component gets a
// defineBlock in src/blocks/<key>.ts (its config's schema, derived from the component's args
// schema; what it needs, uses and provides; run creating the component), listed here and allowed
// by the environment kinds that use it. The order of the list does not matter: compose.ts orders
// a stack's blocks by what they declare.
import { EnvironmentBlock } from "./block";
import { networksBlock } from "./blocks/networks";
import { securityProfilesBlock } from "./blocks/security-profiles";
import { calculatorBlock } from "./blocks/calculator";
import { desktopsBlock } from "./blocks/desktops";
import { devstackBlock } from "./blocks/devstack";
import { ganetiBlock } from "./blocks/ganeti";
import { migrationBlock } from "./blocks/migration";

export const BLOCKS: EnvironmentBlock[] = [
  devstackBlock,
  networksBlock,
  securityProfilesBlock,
  desktopsBlock,
  calculatorBlock,
  migrationBlock,
  ganetiBlock,
];

export interface EnvironmentKind {
  description: string;
  /** Blocks this kind must have. */
  required: string[];
  /** Blocks it may also have. */
  optional: string[];
}

export const ENVIRONMENTS: Record<string, EnvironmentKind> = {
  office: {
    description: "A small firm's office: DevStack on one host, its network, a thin-client desktop per employee.",
    required: ["devstack", "networks", "desktops"],
    optional: ["securityProfiles"],
  },
  notebooks: {
    description: "A college's ML lab: DevStack on one host, its network, a Jupyter server per student.",
    required: ["devstack", "networks", "desktops"],
    optional: ["securityProfiles"],
  },
  lab: {
    description: "The two-tier calculator on an existing cloud.",
    required: ["calculator"],
    optional: ["networks", "securityProfiles"],
  },
  migrate: {
    description: "Software-to-data migration between two clouds.",
    required: ["migration"],
    optional: [],
  },
  ganeti: {
    description: "A Ganeti/DRBD cluster on three nodes.",
    required: ["ganeti"],
    optional: ["networks", "securityProfiles"],
  },
  local: {
    description:
      "Desktops and the calculator on minicloud (OpenStack on this machine), and a migration between its projects when minicloud boots real guests.",
    required: ["desktops", "calculator"],
    optional: ["networks", "securityProfiles", "migration"],
  },
};

export function blockByKey(key: string): EnvironmentBlock {
  const block = BLOCKS.find((b) => b.key === key);
  if (!block) throw new Error(`no block ${key}; known blocks are ${BLOCKS.map((b) => b.key).join(", ")}`);
  return block;
}
