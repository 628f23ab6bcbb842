import { expect } from "chai";
import { defaultExistingCloud, MockHarness, outputValue } from "@openstack-blueprints/test-harness";
import {
  TwoTierCalculatorTopology,
  TwoTierCalculatorTopologyArgs,
} from "../../../src/calculator/two-tier-calculator-topology";
import { LabTopology, topologyFromResources } from "./topology-from-resources";

/**
 * The seed's configuration: Node.js in the image and no egress for Net2, so RT1 has no route to
 * Net2 and only the host route connects the front end to the services.
 */
export const SEED_CALCULATOR: Partial<TwoTierCalculatorTopologyArgs> = {
  serviceInternetEgress: false,
  nodejsSource: "image",
};

/**
 * A calculator ("calc", on the mock cloud's public network, clients from 172.24.4.0/24) run
 * under the harness with `extra` on top. Returns the public URL and the lab topology built from
 * the recorded resources (what the netns and guest tests build their labs from).
 */
export async function runCalculatorForLab(
  harness: MockHarness,
  extra: Partial<TwoTierCalculatorTopologyArgs> = {},
): Promise<{ publicUrl: string; topology: LabTopology }> {
  harness.reset();
  const run = await harness.runProgram(
    () =>
      new TwoTierCalculatorTopology("calc", {
        imageName: "debian-12",
        flavorName: "m1.small",
        externalNetworkName: "public",
        clientCidr: "172.24.4.0/24",
        ...extra,
      }),
  );
  expect(run.errors.map((e) => e.message)).to.deep.equal([]);
  return {
    publicUrl: await outputValue(run.value!.publicUrl),
    topology: topologyFromResources(run.resources, defaultExistingCloud()),
  };
}
