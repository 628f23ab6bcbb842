// DevstackHost pciPassthrough: the post-config sections it writes into local.conf, and that the
// JSON values survive DevStack's own merge into nova.conf / nova-cpu.conf.
//
// stack.sh itself cannot run here (no internet for its git clones and packages, no IOMMU or GPU),
// so what ran is the part of DevStack that turns post-config sections into config files:
// merge_config_group from inc/meta-config with iniset from inc/ini-config, sourced from a DevStack
// checkout given in DEVSTACK_SRC (skipped, saying so, without one: the CI machine has none). The
// quoting it applies (`read` without -r, then `eval` of a double-quoted word) is also reproduced
// below in plain bash, which always runs.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateDevstackSettings } from "../../src/devstack/devstack-plan";
import { DEVSTACK_NOVA_FILTERS, renderLocalConf, renderLocalConfTemplate } from "../../src/devstack/local-conf";

const gpuLab = () =>
  validateDevstackSettings("DevstackHost lab", {
    hostIp: "192.168.50.10",
    pciPassthrough: {
      aliases: [
        { name: "gpu", vendorId: "10DE", productId: "1eb8" },
        { name: "a100", vendorId: "10de", productId: "20b0", deviceType: "type-PCI" },
      ],
    },
  });

/** The [section] → key → values of an INI file (repeated keys kept in order). */
function readIni(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const line of text.split("\n")) {
    const m = /^\[(.+)\]\s*$/.exec(line);
    if (m) section = m[1]!;
    else if (/^[^#\s][^=]*=/.test(line)) {
      const i = line.indexOf("=");
      ((out[section] ??= {})[line.slice(0, i).trim()] ??= []).push(line.slice(i + 1).trim());
    }
  }
  return out;
}

const EXPECTED_ALIASES = [
  { name: "gpu", vendor_id: "10de", product_id: "1eb8", device_type: "type-PCI" },
  { name: "a100", vendor_id: "10de", product_id: "20b0", device_type: "type-PCI" },
];

describe("DevstackHost pciPassthrough (Nova PCI settings in local.conf)", () => {
  it("writes aliases and the PCI filter for $NOVA_CONF, device specs and aliases for $NOVA_CPU_CONF", () => {
    const rest = renderLocalConfTemplate(gpuLab()).rest;
    const q = '\\\\\\"'; // how each " of the JSON stands in local.conf (see devstackJsonValue)
    const json = (o: Record<string, string>) => JSON.stringify(o).replace(/"/g, q);
    expect(rest).to.contain(
      [
        "[[post-config|$NOVA_CONF]]",
        "[filter_scheduler]",
        `enabled_filters = ${DEVSTACK_NOVA_FILTERS.join(",")},PciPassthroughFilter`,
        "[pci]",
        `alias = ${json(EXPECTED_ALIASES[0]!)}`,
        `alias = ${json(EXPECTED_ALIASES[1]!)}`,
        "",
        "[[post-config|$NOVA_CPU_CONF]]",
        "[pci]",
        `device_spec = ${json({ vendor_id: "10de", product_id: "1eb8" })}`,
        `device_spec = ${json({ vendor_id: "10de", product_id: "20b0" })}`,
        `alias = ${json(EXPECTED_ALIASES[0]!)}`,
        `alias = ${json(EXPECTED_ALIASES[1]!)}`,
        "",
      ].join("\n"),
    );
    // Without the setting: no PCI section, DevStack's own filters untouched.
    const plain = renderLocalConfTemplate(validateDevstackSettings("DevstackHost lab", { hostIp: "192.168.50.10" }));
    expect(plain.rest).to.not.contain("[pci]").and.not.contain("enabled_filters").and.not.contain("NOVA_CPU_CONF");
  });

  it("keeps the JSON through DevStack's quoting (read without -r, eval of a double-quoted word)", () => {
    const rest = renderLocalConfTemplate(gpuLab()).rest;
    const aliasLine = rest.split("\n").find((l) => l.startsWith("alias = "))!;
    const value = aliasLine.slice("alias = ".length);
    // merge_config_file prints `iniset <file> <section> <attr> "<value>"` and runs
    // `| while read a; do eval "$a"; done`; here iniset only prints what it was given.
    const through = (v: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          'iniset() { printf "%s" "$4"; }; printf "%s\\n" "$1" | while read a; do eval "$a"; done',
          "_",
          `iniset f pci alias "${v}"`,
        ],
        {
          encoding: "utf8",
        },
      );
    expect(JSON.parse(through(value))).to.deep.equal(EXPECTED_ALIASES[0]);
    // The plain JSON a person would write loses its quotes on the way: Nova could not parse it.
    expect(through(JSON.stringify(EXPECTED_ALIASES[0]))).to.equal(
      "{name:gpu,vendor_id:10de,product_id:1eb8,device_type:type-PCI}",
    );
  });

  it("refuses bad aliases naming field, value and fix", () => {
    const bad = (aliases: unknown) => () =>
      validateDevstackSettings("DevstackHost lab", {
        hostIp: "192.168.50.10",
        pciPassthrough: { aliases } as never,
      });
    expect(bad([{ name: "gpu:1", vendorId: "10de", productId: "1eb8" }])).to.throw(
      'pciPassthrough.aliases[0].name: "gpu:1" is not a PCI alias name',
    );
    expect(bad([{ name: "gpu", vendorId: "nvidia", productId: "1eb8" }])).to.throw(
      'pciPassthrough.aliases[0].vendorId: "nvidia" is not a PCI vendor ID. Fix: give 4 hex digits',
    );
    expect(bad([{ name: "gpu", vendorId: "10de", productId: "1eb8", deviceType: "type-VDPA" }])).to.throw(
      'pciPassthrough.aliases[0].deviceType: "type-VDPA" is not a Nova PCI device type. Fix: use one of type-PCI, type-PF, type-VF',
    );
    expect(bad([])).to.throw("pciPassthrough.aliases: [] is empty");
    expect(
      bad([
        { name: "gpu", vendorId: "10de", productId: "1eb8" },
        { name: "gpu", vendorId: "10de", productId: "20b0" },
      ]),
    ).to.throw('pciPassthrough.aliases[1].name: "gpu" repeats pciPassthrough.aliases[0]');
  });

  // Registered only with DEVSTACK_SRC, a DevStack checkout (its inc/meta-config and inc/ini-config
  // are sourced): CI has none and no way to fetch one (no internet; DevStack is not on PyPI or in
  // Debian), so this check runs on a developer's machine, never in CI; docs/devstack.md says so.
  const devstackSrc = process.env.DEVSTACK_SRC;
  const withDevstack = devstackSrc && fs.existsSync(path.join(devstackSrc, "inc", "meta-config")) ? it : undefined;
  if (!withDevstack)
    console.log(
      "      not registered: DevStack's own merge_config_group check (set DEVSTACK_SRC to a DevStack checkout)",
    );
  withDevstack?.(
    "DevStack's own merge_config_group writes nova.conf and nova-cpu.conf Nova can read (needs DEVSTACK_SRC)",
    function () {
      const src = devstackSrc as string;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devstack-pci-"));
      try {
        const localConf = path.join(dir, "local.conf");
        fs.writeFileSync(
          localConf,
          renderLocalConf(gpuLab(), { admin: "a", database: "d", rabbit: "r", service: "s" }),
        );
        const novaConf = path.join(dir, "nova.conf");
        const cpuConf = path.join(dir, "nova-cpu.conf");
        // What lib/nova wrote before post-config: its filter list (to be overridden).
        fs.writeFileSync(novaConf, `[filter_scheduler]\nenabled_filters = ${DEVSTACK_NOVA_FILTERS.join(",")}\n`);
        // stack.sh's post-config phase for $NOVA_CONF, then start_nova_compute: copy nova.conf to
        // nova-cpu.conf and merge that file's own post-config section.
        execFileSync(
          "bash",
          [
            "-euc",
            [
              'source "$SRC/inc/ini-config"; source "$SRC/inc/meta-config"',
              'merge_config_group "$LOCAL" post-config',
              'cp "$NOVA_CONF" "$NOVA_CPU_CONF"',
              "merge_config_file \"$LOCAL\" post-config '$NOVA_CPU_CONF'",
            ].join("\n"),
          ],
          {
            env: {
              ...process.env,
              SRC: src,
              LOCAL: localConf,
              NOVA_CONF: novaConf,
              NOVA_CPU_CONF: cpuConf,
              STACK_USER: "root",
            },
            encoding: "utf8",
          },
        );
        const nova = readIni(fs.readFileSync(novaConf, "utf8"));
        const cpu = readIni(fs.readFileSync(cpuConf, "utf8"));
        expect(nova.filter_scheduler?.enabled_filters).to.deep.equal([
          `${DEVSTACK_NOVA_FILTERS.join(",")},PciPassthroughFilter`,
        ]);
        expect((nova.pci?.alias ?? []).map((a) => JSON.parse(a))).to.deep.equal(EXPECTED_ALIASES);
        expect((cpu.pci?.alias ?? []).map((a) => JSON.parse(a))).to.deep.equal(EXPECTED_ALIASES);
        expect((cpu.pci?.device_spec ?? []).map((a) => JSON.parse(a))).to.deep.equal([
          { vendor_id: "10de", product_id: "1eb8" },
          { vendor_id: "10de", product_id: "20b0" },
        ]);
        expect(nova.pci?.device_spec).to.equal(undefined);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
