/**
 * Where this package's modules are, by package path, for the provider process: `src` (TypeScript)
 * in the repository, `dist` (compiled JavaScript) in the published package. Taken from how this
 * very file was loaded, so the program and its providers use the same build; the repository's
 * paths (and so its stacks' serialised providers) stay as they were.
 */
export const COMPONENTS_MODULE_ROOT = `@openstack-blueprints/components/${__filename.endsWith(".ts") ? "src" : "dist"}`;

/**
 * Dynamic providers (DesktopCredential, XrdpDesktopImage, S2DMigration) run in the engine's
 * provider process, `pulumi-resource-pulumi-nodejs`: a plain `node` in which TypeScript is not
 * registered, unlike the program, which the engine runs under ts-node. Pulumi serialises each
 * provider function into that process, and our functions require their modules there by
 * package path; while the workspace packages ship TypeScript sources, those requires need
 * ts-node registered first, or they fail with "Cannot find module …" (the real engine showed
 * it: the mocks run providers in the test's own process, where ts-node is always on).
 *
 * Called from inside provider functions, so Pulumi serialises this function by value with them.
 */
export function requireInProviderProcess<T>(modulePath: string): T {
  if (!require.extensions[".ts"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: present in a source checkout, absent from a compiled package
      require("ts-node").register({ transpileOnly: true });
    } catch {
      // No ts-node: a compiled package, whose modules are JavaScript.
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time, in the provider process
  return require(modulePath) as T;
}
