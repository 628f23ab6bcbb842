/**
 * The dynamic resource TwoTierCalculatorTopology declares last (type calculator:FrontendReadiness):
 * its create waits until the front end computes through every service (frontend-readiness-check.ts),
 * so `pulumi up` fails instead of reporting a calculator that does not answer. Refresh does not
 * re-check (an outage later is monitoring's job, not drift); a replaced server or a new address
 * replaces it, i.e. checks again. Delete removes nothing: it made nothing in the cloud.
 */
import * as pulumi from "@pulumi/pulumi";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";
import type { ReadinessInputs, ReadinessOutputs } from "./frontend-readiness-check";

/** Inputs whose change means a new deployment to check; the timeout alone changes nothing. */
export const RECHECK_INPUTS = ["url", "expression", "expected", "servers"] as const;

export function diffReadinessInputs(
  olds: Partial<ReadinessInputs>,
  news: Partial<ReadinessInputs>,
): pulumi.dynamic.DiffResult {
  const replaces = RECHECK_INPUTS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
  return { changes: replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds, replaces: [...replaces] };
}

/** Serialised by Pulumi into its provider process, where it requires the check by package path. */
export const frontendReadinessProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ReadinessInputs) {
    const check = requireInProviderProcess<typeof import("./frontend-readiness-check")>(
      `${COMPONENTS_MODULE_ROOT}/calculator/frontend-readiness-check`,
    );
    const outs: ReadinessOutputs = await check.waitForFrontend(inputs);
    return { id: `${inputs.servers.frontend ?? "frontend"}-ready`, outs };
  },
  async diff(_id: string, olds: ReadinessInputs, news: ReadinessInputs) {
    return diffReadinessInputs(olds, news);
  },
  async update(_id: string, olds: ReadinessOutputs, news: ReadinessInputs) {
    // Only the timeout changed: the deployment checked before is the same one.
    return { outs: { ...olds, ...news } };
  },
  async read(id: string, props?: ReadinessOutputs) {
    return { id, props };
  },
  async delete() {
    // Nothing was made in the cloud.
  },
};

// `declare`, not `!`: a plain ES2022 field would reset the outputs super() set to undefined.
export class FrontendReadiness extends pulumi.dynamic.Resource {
  declare public readonly report: pulumi.Output<string>;
  declare public readonly waitedSeconds: pulumi.Output<number>;
  constructor(
    name: string,
    props: { [K in keyof ReadinessInputs]: pulumi.Input<ReadinessInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      frontendReadinessProvider,
      name,
      { ...props, report: undefined, waitedSeconds: undefined },
      opts,
      "calculator",
      "FrontendReadiness",
    );
  }
}
