// `openstack-blueprints:calculator`: the two-tier calculator (TwoTierCalculatorTopology).
import { TwoTierCalculatorTopology, twoTierCalculatorArgsSchema } from "@openstack-blueprints/components";
import { defineBlock, providerOptions } from "../block";

/** The block's spec is the component's args, checked with the component's own schema. */
export const calculatorSpec = twoTierCalculatorArgsSchema;

export const calculatorBlock = defineBlock({
  key: "calculator",
  component: "TwoTierCalculatorTopology",
  description: "The seed's two-tier calculator: front end behind a floating IP, four services behind an inner router.",
  schema: calculatorSpec,
  deploy: (spec, ctx) => {
    const calculator = new TwoTierCalculatorTopology(`${ctx.environment}-calculator`, spec, providerOptions(ctx));
    ctx.outputs["calculator.publicUrl"] = calculator.publicUrl;
    ctx.outputs["calculator.serviceIps"] = calculator.serviceIps;
  },
});
