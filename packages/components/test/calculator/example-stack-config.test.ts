import { expect } from "chai";
import { calculatorStackSchema } from "../../../../examples/two-tier-calculator/config";
import { installMocks, outputValue } from "@openstack-blueprints/test-harness";
import { loadStackConfig, StackConfigError } from "../../src/config/stack-config";
import { TwoTierCalculatorTopology } from "../../src/calculator/two-tier-calculator-topology";

const harness = installMocks();

describe("examples/two-tier-calculator stack config", function () {
  this.timeout(60000);

  it("reads a stack's settings (as `pulumi config set --path` stores them) and builds the topology", async () => {
    const { values } = loadStackConfig(calculatorStackSchema, {
      raw: {
        imageName: "ubuntu-24.04",
        flavorName: "m1.small",
        externalNetworkName: "public",
        clientCidr: "203.0.113.0/24",
        servicePorts: JSON.stringify({ sum: 6001, sub: 6002, mul: 6003, div: 6004 }),
        serviceInternetEgress: "true",
      },
    });
    harness.reset();
    const run = await harness.runProgram(() => new TwoTierCalculatorTopology("calculator", values));
    expect(run.errors).to.deep.equal([]);
    expect(await outputValue(run.value!.serviceIps)).to.deep.equal({
      sum: "192.168.2.1",
      sub: "192.168.2.2",
      mul: "192.168.2.3",
      div: "192.168.2.4",
    });
    expect(run.byName("calculator-sum-port").inputs.fixedIps[0].ipAddress).to.equal("192.168.2.1");
    expect(run.byName("calculator-sum").inputs.userData).to.contain("--port 6001");
  });

  it("refuses typos and bad values naming the key", () => {
    expect(() =>
      loadStackConfig(calculatorStackSchema, {
        raw: {
          imageName: "x",
          flavorName: "y",
          externalNetworkName: "public",
          clientCidr: "203.0.113.0/33",
          frontendPrt: "1",
        },
      }),
    )
      .to.throw(StackConfigError)
      .with.property("message")
      .that.contains("openstack-blueprints:frontendPrt: is not a known setting")
      .and.contains('openstack-blueprints:clientCidr: "203.0.113.0/33" is not an IPv4 CIDR');
  });
});
