// Entry point of the source-based Pulumi package (started by plugin/index.js, the folder
// `pulumi package add` names). Running it serves
// the components over Pulumi's provider protocol; the schema is inferred from the TypeScript
// source of the package (package.json `main`), so nothing is generated or checked in.
import * as path from "node:path";
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { ComponentArgsError } from "./errors";
import { PROVIDER_NAME, exposedComponents } from "./provider-components";

// The engine lists each bad property of a refused component with its value; the error's message
// then only names the component (see ComponentArgsError).
ComponentArgsError.engineListsProperties = true;

componentProviderHost({
  name: PROVIDER_NAME,
  components: exposedComponents,
  // The package root (package.json, tsconfig.json), not src/ where this file lives.
  dirname: path.resolve(__dirname, ".."),
}).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
