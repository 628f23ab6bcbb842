// One scenario of the model contract, chosen by config (`engine-test-contract:scenario`): the
// same function the mock-harness side of test/engine/model-contract.engine.test.ts runs.
import * as pulumi from "@pulumi/pulumi";
import { SCENARIOS } from "./scenarios";

const name = new pulumi.Config().require("scenario");
const scenario = SCENARIOS[name];
if (!scenario) throw new Error(`no contract scenario '${name}'; have: ${Object.keys(SCENARIOS).join(", ")}`);
scenario();
