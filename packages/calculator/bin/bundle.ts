// Writes the five calculator bundles to packages/calculator/bundle/ and prints their sizes as JSON.
import * as fs from "node:fs";
import { buildBundle } from "../src/build-bundles";
import { BUNDLE_DIR, bundlePath, CALCULATOR_ROLES } from "../src/bundles";

async function main(): Promise<void> {
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const role of CALCULATOR_ROLES) {
    const text = await buildBundle(role);
    fs.writeFileSync(bundlePath(role), text);
    sizes[role] = Buffer.byteLength(text);
  }
  console.log(JSON.stringify({ dir: BUNDLE_DIR, bytes: sizes }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
