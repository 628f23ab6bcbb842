/** The shared test-host library: see README.md in this folder. */
export { TestLab, nocloudMetaData } from "./lab";
export type {
  TestLabOptions,
  NetworkOptions,
  TestNetwork,
  StartGuestOptions,
  NoCloudSeed,
  BindMount,
  GuestTimings,
} from "./lab";
export { Guest, pinnedHostKeys } from "./guest";
export type { GuestConnection, CloudInitResult } from "./guest";
export { buildRootfs, removeRootfs, BASE_PACKAGES, CLOUD_GUEST_PACKAGES, DEFAULT_CACHE_ROOT } from "./rootfs";
export type { Rootfs, RootfsSpec } from "./rootfs";
export { reapLeftovers } from "./teardown";
export { requireTestHosts, missingForTestHosts } from "./requirements";
export { runRemoteSteps, runTwice, changedLines, describeFailures } from "./remote-runner";
export type { RemoteStep, RemoteConnection, StepResult, RunReport, TwiceReport, Phase } from "./remote-runner";
export { stepsFromRecordedResources, REMOTE_COMMAND_TYPE } from "./recorded-steps";
export type { RecordedResource } from "./recorded-steps";
