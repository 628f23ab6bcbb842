// Desktops for a small firm's office with thin clients: pure helpers and the ThinClientDesktopPool component.
export * from "./employees";
export * from "./sha512-crypt";
export * from "./desktop-user-data";
export * from "./jupyter-user-data";
export * from "./desktop-credential";
export * from "./capacity";
export * from "./thin-client-artifacts";
export * from "./thin-client-desktop-pool-args";
export * from "./thin-client-desktop-pool-plan";
export * from "./thin-client-desktop-pool";
export * from "./reachability";
export * from "./quota";
export * from "./session-report";
