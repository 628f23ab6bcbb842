import { expect } from "chai";
import { planCapacity } from "@openstack-blueprints/components/capacity";
import { inUserWords, runCapacity } from "../src/capacity-command";

/** The planner's own message for an input the CLI would have refused earlier. */
function plannerError(input: Parameters<typeof planCapacity>[0]): string {
  try {
    planCapacity(input);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the planner accepted it");
}

describe("blueprints capacity: planner errors in the user's words", () => {
  const given = {
    host: ["vcpus=4,ram=8G,reserved=8G", "vcpus=0,ram=8G"],
    flavor: ["name=d,vcpus=1,ram=1G", "name=big,vcpus=2,ram=0G"],
    desktops: ["d=-1"],
  };
  const host = { vcpus: 4, ramMiB: 8192 };
  const flavor = { name: "d", vcpus: 1, ramMiB: 1024 };

  it("names the --host, --flavor and --desktops the user typed and their keys, never hosts[0] or ramMiB", () => {
    const cases: [Parameters<typeof planCapacity>[0], string][] = [
      [
        { hosts: [{ ...host, reservedRamMiB: 8192 }], flavors: [flavor] },
        '--host "vcpus=4,ram=8G,reserved=8G": reserved 8192 MiB must be at least 0 and less than ram 8192 MiB',
      ],
      [
        { hosts: [host, { vcpus: 0, ramMiB: 8192 }], flavors: [flavor] },
        '--host "vcpus=0,ram=8G": vcpus is 0; it must be a positive whole number',
      ],
      [
        { hosts: [host], flavors: [flavor, { name: "big", vcpus: 2, ramMiB: 0 }] },
        '--flavor "name=big,vcpus=2,ram=0G": ram is 0 MiB; it must be a positive number',
      ],
      [
        { hosts: [host], flavors: [flavor], demand: [{ flavor: "d", count: -1 }] },
        '--desktops "d=-1": count -1 must be a whole number, 0 or more',
      ],
      [
        { hosts: [host], flavors: [flavor], ratios: { cpu: 0, ram: 1 } },
        "--cpu-ratio is 0; it must be a positive number",
      ],
      [{ hosts: [host], flavors: [flavor], concurrency: 2 }, "--concurrency is 2; it must be a share"],
    ];
    for (const [input, expected] of cases) {
      const raw = plannerError(input);
      const words = inUserWords(raw, given);
      expect(words, raw).to.contain(expected);
      expect(words, raw).not.to.match(/hosts\[|flavors\[|demand\[|ramMiB|reservedRamMiB|ratios\./);
    }
  });

  it("falls back to the option's position when the text is not known", () => {
    expect(inUserWords("hosts[2].reservedVcpus 4 must be less than vcpus 4", given)).to.equal(
      "--host 3: reserved-vcpus 4 must be less than vcpus=4",
    );
  });

  it("the help says sizes need a unit and that a bare number is refused", () => {
    const help = runCapacity(["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain("e.g. ram=64G or").and.contain("a bare number (ram=64) is refused");
  });
});
