// Lists the resource and function tokens the installed @pulumi/openstack npm SDK sends to
// its provider, as JSON ({resources, functions}); bridge/ maps Terraform names onto them.
// Usage: node sdk-tokens.mjs <path to node_modules/@pulumi/openstack>
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2];
if (!root) {
  console.error("usage: node sdk-tokens.mjs <node_modules/@pulumi/openstack>");
  process.exit(2);
}
const resources = new Set();
const functions = new Set();
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== "node_modules" && entry !== "types") walk(path);
    } else if (entry.endsWith(".js")) {
      const text = readFileSync(path, "utf8");
      for (const m of text.matchAll(/__pulumiType = ['"](openstack:[^'"]+)['"]/g)) resources.add(m[1]);
      for (const m of text.matchAll(/invoke(?:Output|SingleOutput|Single)?\(["'](openstack:[^'"]+)["']/g))
        functions.add(m[1]);
    }
  }
};
walk(root);
if (resources.size === 0) {
  console.error(`no resource tokens found under ${root}`);
  process.exit(1);
}
console.log(JSON.stringify({ resources: [...resources].sort(), functions: [...functions].sort() }, null, 1));
