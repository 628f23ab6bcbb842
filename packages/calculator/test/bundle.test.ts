import { expect } from "chai";
import * as fs from "node:fs";
import { buildBundle } from "../src/build-bundles";
import { bundlePath, CALCULATOR_ROLES, readBundle } from "../src/bundles";

/** Each bundle must fit comfortably in a server's user data (Nova: 65535 base64 characters). */
const MAX_BUNDLE_BYTES = 24 * 1024;

describe("calculator bundles", function () {
  this.timeout(60000);

  for (const role of CALCULATOR_ROLES) {
    it(`${role}: committed bundle is current, self-contained and small`, async () => {
      const fresh = await buildBundle(role);
      expect(fs.existsSync(bundlePath(role)), `run: npm run -w packages/calculator bundle`).to.equal(true);
      expect(
        readBundle(role) === fresh,
        `${bundlePath(role)} is stale; run: npm run -w packages/calculator bundle`,
      ).to.equal(true);
      const bytes = Buffer.byteLength(fresh);
      expect(bytes).to.be.below(MAX_BUNDLE_BYTES);
      expect(4 * Math.ceil(bytes / 3), "base64 size").to.be.below(65535 / 2);
      // Only Node built-ins may be required: no runtime dependencies to install on the guest.
      const required = [...fresh.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(required.length).to.be.greaterThan(0);
      for (const name of required)
        expect(name, `${role} requires ${name}`).to.match(/^(node:)?(http|net|url|events|buffer)$/);
    });
  }
});
