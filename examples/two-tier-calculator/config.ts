// Stack settings of the example, validated before anything is created: the stack's settings are
// the component's args, so they are checked with the component's own schema (one declaration).
import { z } from "zod";
import { twoTierCalculatorArgsSchema } from "../../packages/components/src/calculator/two-tier-calculator-args";

export const calculatorStackSchema = twoTierCalculatorArgsSchema;

export type CalculatorStackConfig = z.infer<typeof calculatorStackSchema>;
