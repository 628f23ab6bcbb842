// The package loader: sources in the repository, dist/ once installed, and an entry of
// re-exports loaded lazily (a program using one component does not compile every module).
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is plain CommonJS without types
const packageLoader = require("../index.js") as (dir: string) => ((m: string) => Record<string, unknown>) & {
  lazy(m: string): Record<string, unknown>;
};

const REPO = path.resolve(__dirname, "../../..");

describe("package loader", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "package-loader-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An installed package: dist/ only, with declarations as tsc writes them. */
  function installed(files: Record<string, string>): string {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }

  it("loads an entry of re-exports name by name, on first use, with aliases and without type-only names", () => {
    const load = packageLoader(
      installed({
        "dist/index.d.ts": [
          "// the entry",
          'export { Pool, poolSchema as schema } from "./desktop/pool";',
          'export type { PoolArgs } from "./desktop/pool";',
          'export { type Net, Network } from "./network";',
        ].join("\n"),
        "dist/desktop/pool.js": "globalThis.__loaded.push('pool'); exports.Pool = 'P'; exports.poolSchema = 'S';",
        "dist/network.js": "globalThis.__loaded.push('network'); exports.Network = 'N';",
      }),
    );
    const loaded: string[] = [];
    (globalThis as { __loaded?: string[] }).__loaded = loaded;
    const entry = load.lazy("index");
    expect(Object.keys(entry)).to.deep.equal(["Pool", "schema", "Network"]);
    expect(loaded).to.deep.equal([]);
    expect(entry.Pool).to.equal("P");
    expect(loaded).to.deep.equal(["pool"]);
    expect(entry.schema).to.equal("S");
    expect(entry.Network).to.equal("N");
    expect(loaded).to.deep.equal(["pool", "network"]);
    expect((entry as { __esModule?: boolean }).__esModule).to.equal(true);
  });

  it("loads an entry with any other statement as it is (nothing guessed)", () => {
    const load = packageLoader(
      installed({
        "dist/index.d.ts": 'export * from "./a";\nexport declare const b = 2;\n',
        "dist/index.js": "exports.a = 1; exports.b = 2;",
      }),
    );
    expect({ ...load.lazy("index") }).to.deep.equal({ a: 1, b: 2 });
  });

  it("gives the components' entry exactly the names and values of src/index.ts, loading nothing up front", () => {
    // A fresh node process: which modules a require loads is only visible from a clean start.
    const script = `
      const c = require("@openstack-blueprints/components");
      const src = (f) => Object.keys(require.cache).filter((k) => k.includes("/packages/components/src/")).length;
      const before = src();
      const pool = c.ThinClientDesktopPool;
      const afterPool = src();
      const eager = require("./packages/components/src/index.ts");
      const same = Object.keys(eager).sort().join() === Object.keys(c).sort().join() &&
        Object.keys(eager).every((k) => eager[k] === c[k]);
      console.log(JSON.stringify({ before, afterPool, all: src(), same, pool: typeof pool }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
        cwd: REPO,
        encoding: "utf8",
      }),
    ) as { before: number; afterPool: number; all: number; same: boolean; pool: string };
    expect(out.same, "same names and values as the eager index").to.equal(true);
    expect(out.pool).to.equal("function");
    expect(out.before, "component modules loaded by the entry itself").to.equal(0);
    expect(out.afterPool).to.be.greaterThan(0).and.lessThan(out.all);
  });
});
