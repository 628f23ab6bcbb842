// `openstack-blueprints:calculator`: the two-tier calculator (TwoTierCalculatorTopology).
import { TwoTierCalculatorTopology, twoTierCalculatorArgsSchema } from "@openstack-blueprints/components";
import { defineBlock, providerOptions, strictConfig } from "../block";

/** The block's spec is the component's args, checked with the component's own schema. */
export const calculatorSpec = strictConfig(twoTierCalculatorArgsSchema);

export const calculatorBlock = defineBlock({
  key: "calculator",
  component: "TwoTierCalculatorTopology",
  description: "The seed's two-tier calculator: front end behind a floating IP, four services behind an inner router.",
  schema: calculatorSpec,
  uses: ["provider", "cloud"],
  run: (spec, inputs, environment) => {
    const calculator = new TwoTierCalculatorTopology(`${environment}-calculator`, spec, providerOptions(inputs));
    return {
      outputs: {
        "calculator.publicUrl": calculator.publicUrl,
        "calculator.serviceIps": calculator.serviceIps,
        "calculator.frontendReady": calculator.frontendReady,
        "calculator.frontendReadiness": calculator.frontendReadiness,
      },
    };
  },
});
